"""What the read endpoints answer: live guest status, node figures, the lagging cluster resource
list, RRD series, storages. Numbers are typed as PVE types them (ints, fractions, bytes)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from simulators.proxmox.cluster import Cluster
from simulators.proxmox.model import GIB, MIB, Guest, Node

# Default per-second rates of a running guest when a test has not set its usage.
NET_IN_RATE, NET_OUT_RATE, DISK_READ_RATE, DISK_WRITE_RATE = 1200.0, 800.0, 4096.0, 2048.0
RRD_STEPS = {"hour": 60, "day": 1800, "week": 10800, "month": 43200, "year": 604800}
RRD_POINTS = 70


def guest_figures(guest: Guest, now: dt.datetime) -> dict[str, Any]:
    """The measured side of a guest: usage while it runs, zeros (but sizes) when stopped."""
    uptime = guest.uptime(now)
    running = guest.status == "running"
    maxmem = guest.memory_mib * MIB
    maxdisk = guest.disk_bytes
    usage = guest.usage
    disk = int(usage.get("disk_used", maxdisk // 10)) if guest.kind == "lxc" and running else 0
    return {
        "status": guest.status,
        "uptime": uptime,
        "cpu": float(usage.get("cpu", 0.05)) if running else 0,
        "cpus": guest.cores,
        "mem": int(usage.get("memory_used", maxmem // 4)) if running else 0,
        "maxmem": maxmem,
        "disk": disk,
        "maxdisk": maxdisk,
        "netin": int(usage.get("net_in", uptime * NET_IN_RATE)) if running else 0,
        "netout": int(usage.get("net_out", uptime * NET_OUT_RATE)) if running else 0,
        "diskread": int(uptime * DISK_READ_RATE),
        "diskwrite": int(uptime * DISK_WRITE_RATE),
    }


def guest_status(guest: Guest, now: dt.datetime) -> dict[str, Any]:
    """`GET .../status/current` and the entries of `GET /nodes/{node}/lxc|qemu`."""
    figures = guest_figures(guest, now)
    entry: dict[str, Any] = {"vmid": guest.vmid, "name": guest.name, **figures}
    entry["ha"] = {"managed": 0}
    if guest.kind == "lxc":
        entry["type"] = "lxc"
        entry["swap"] = 0
        entry["maxswap"] = int(guest.config.get("swap", "512")) * MIB
    else:
        entry["qmpstatus"] = guest.status
        entry["agent"] = int(_agent_enabled(guest))
    if figures["status"] == "running":
        entry["pid"] = 10000 + guest.vmid
    if guest.template:
        entry["template"] = 1
    if guest.lock:
        entry["lock"] = guest.lock
    if guest.tags:
        entry["tags"] = ";".join(guest.tags)
    return entry


def _agent_enabled(guest: Guest) -> bool:
    first = guest.config.get("agent", "0").split(",")[0]
    return first in ("1", "enabled=1")


def node_entry(cluster: Cluster, node: Node, now: dt.datetime) -> dict[str, Any]:
    """`GET /nodes` item; PVE leaves the usage fields out for a node it cannot reach."""
    entry: dict[str, Any] = {
        "node": node.name,
        "id": f"node/{node.name}",
        "type": "node",
        "status": "online" if node.online else "offline",
        "level": "",
        "ssl_fingerprint": ":".join(["5A"] * 32),
    }
    if not node.online:
        return entry
    running = [g for g in cluster.guests.values() if g.node == node.name and g.status == "running"]
    disk_total = cluster.node_disk_total(node)
    entry.update(
        cpu=round(
            min(sum(guest_figures(g, now)["cpu"] * g.cores for g in running), node.cores)
            / node.cores,
            4,
        ),
        maxcpu=node.cores,
        mem=sum(guest_figures(g, now)["mem"] for g in running) + node.memory // 20,
        maxmem=node.memory,
        disk=sum(cluster.storage_used(node.name, s) for s in node.storages),
        maxdisk=disk_total,
        uptime=int((now - node.boot_time).total_seconds()) if node.boot_time else 0,
    )
    return entry


def node_status(cluster: Cluster, node: Node, now: dt.datetime) -> dict[str, Any]:
    summary = node_entry(cluster, node, now)
    used_disk, total_disk = summary["disk"], summary["maxdisk"]
    return {
        "cpu": summary["cpu"],
        "wait": 0.0,
        "loadavg": ["0.10", "0.08", "0.05"],
        "uptime": summary["uptime"],
        "memory": {
            "total": node.memory,
            "used": summary["mem"],
            "free": node.memory - summary["mem"],
        },
        "swap": {"total": 8 * GIB, "used": 0, "free": 8 * GIB},
        "rootfs": {
            "total": total_disk,
            "used": used_disk,
            "free": total_disk - used_disk,
            "avail": total_disk - used_disk,
        },
        "ksm": {"shared": 0},
        "cpuinfo": {
            "model": "Simulated CPU @ 2.40GHz",
            "cpus": node.cores,
            "cores": node.cores,
            "sockets": 1,
            "mhz": "2400.000",
            "flags": "fpu vme de pse tsc msr pae mce cx8 apic",
            "hvm": "1",
            "user_hz": 100,
        },
        "kversion": "Linux 6.8.12-9-pve #1 SMP PREEMPT_DYNAMIC PMX 6.8.12-9",
        "current-kernel": {
            "sysname": "Linux",
            "release": "6.8.12-9-pve",
            "version": "#1 SMP PREEMPT_DYNAMIC PMX 6.8.12-9",
            "machine": "x86_64",
        },
        "boot-info": {"mode": "efi", "secureboot": 0},
        "pveversion": "pve-manager/8.4.1/2a5fa54a8503f96d",
    }


def _guest_resource(guest: Guest, figures: dict[str, Any] | None) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": f"{guest.kind}/{guest.vmid}",
        "type": guest.kind,
        "vmid": guest.vmid,
        "node": guest.node,
        "name": guest.name,
        "template": int(guest.template),
    }
    if guest.tags:
        entry["tags"] = ";".join(guest.tags)
    if guest.lock:
        entry["lock"] = guest.lock
    if figures is None:
        entry["status"] = "unknown"  # not yet in the RRD broadcast
        return entry
    entry.update({k: v for k, v in figures.items() if k != "cpus"})
    entry["maxcpu"] = figures["cpus"]
    return entry


def measure(cluster: Cluster, now: dt.datetime) -> dict[str, Any]:
    """What pvestatd broadcasts on one pass: per guest and per node figures."""
    reachable = {name for name, node in cluster.nodes.items() if node.online}
    return {
        "guests": {
            vmid: guest_figures(g, now) for vmid, g in cluster.guests.items() if g.node in reachable
        },
        "nodes": {name: node_entry(cluster, n, now) for name, n in cluster.nodes.items()},
    }


def cluster_resources(cluster: Cluster, kind: str | None) -> list[dict[str, Any]]:
    """Membership is live (the cluster file system); the figures come from the last broadcast,
    which is refreshed only every `resources_lag` on the clock, as pvestatd does every 10 s."""
    now = cluster.now()
    stale = (
        cluster.resource_view is None
        or cluster.resource_view_at is None
        or now - cluster.resource_view_at >= cluster.resources_lag
    )
    if stale:
        cluster.resource_view = measure(cluster, now)
        cluster.resource_view_at = now
    view = cluster.resource_view or {"guests": {}, "nodes": {}}
    entries: list[dict[str, Any]] = []
    if kind in (None, "node"):
        for name in sorted(cluster.nodes):
            entry = dict(view["nodes"].get(name) or node_entry(cluster, cluster.nodes[name], now))
            entry["status"] = "online" if cluster.nodes[name].online else "offline"
            entries.append(entry)
    if kind in (None, "vm"):
        figures = view["guests"]
        for vmid in sorted(cluster.guests):
            guest = cluster.guests[vmid]
            entries.append(_guest_resource(guest, figures.get(vmid)))
    if kind in (None, "storage"):
        for name in sorted(cluster.nodes):
            node = cluster.nodes[name]
            entries.extend(
                {
                    "id": f"storage/{name}/{s.name}",
                    "type": "storage",
                    "storage": s.name,
                    "node": name,
                    "status": "available" if node.online else "unknown",
                    "disk": cluster.storage_used(name, s.name) + sum(s.volumes.values()),
                    "maxdisk": s.total,
                    "content": ",".join(sorted(s.content)),
                    "plugintype": s.kind,
                    "shared": int(s.shared),
                }
                for s in node.storages.values()
            )
    return entries


def rrd_points(guest: Guest, now: dt.datetime, timeframe: str) -> list[dict[str, Any]]:
    """70 points ending at the current step. Rates are bytes per second; a point from before the
    guest last started carries only its time, as RRD leaves unknown values out."""
    step = RRD_STEPS[timeframe]
    end = int(now.timestamp()) // step * step
    figures = guest_figures(guest, now)
    uptime = figures["uptime"]
    started = int(now.timestamp()) - uptime if guest.status == "running" else None
    net_in_rate = figures["netin"] / uptime if uptime else NET_IN_RATE
    net_out_rate = figures["netout"] / uptime if uptime else NET_OUT_RATE
    points: list[dict[str, Any]] = []
    for index in range(RRD_POINTS):
        moment = end - step * (RRD_POINTS - 1 - index)
        point: dict[str, Any] = {"time": moment}
        if started is not None and moment >= started:
            point.update(
                maxcpu=figures["cpus"],
                cpu=figures["cpu"],
                maxmem=figures["maxmem"],
                mem=figures["mem"],
                maxdisk=figures["maxdisk"],
                disk=figures["disk"],
                netin=net_in_rate,
                netout=net_out_rate,
                diskread=DISK_READ_RATE,
                diskwrite=DISK_WRITE_RATE,
            )
        points.append(point)
    return points


def storage_entries(cluster: Cluster, node: Node, content: str | None) -> list[dict[str, Any]]:
    entries = []
    for storage in node.storages.values():
        if content and content not in storage.content:
            continue
        used = cluster.storage_used(node.name, storage.name) + sum(storage.volumes.values())
        entries.append(
            {
                "storage": storage.name,
                "type": storage.kind,
                "content": ",".join(sorted(storage.content)),
                "active": 1,
                "enabled": 1,
                "shared": int(storage.shared),
                "total": storage.total,
                "used": used,
                "avail": storage.total - used,
                "used_fraction": used / storage.total if storage.total else 0,
            }
        )
    return entries
