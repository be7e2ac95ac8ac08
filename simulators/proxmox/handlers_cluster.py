"""Cluster-wide and node endpoints: version, nodes, nextid, resources, storages, tasks."""

from __future__ import annotations

import itertools
from typing import Any

from simulators.proxmox.call import Call, Reply, bad_parameter
from simulators.proxmox.model import PveError
from simulators.proxmox.readmodels import (
    cluster_resources,
    node_entry,
    node_status,
    storage_entries,
)
from simulators.proxmox.tasks import Task, upid_decode

FIRST_VMID = 100


def version(call: Call) -> dict[str, Any]:
    return {"version": "8.4.1", "release": "8.4", "repoid": "2a5fa54a8503f96d", "console": "html5"}


def nodes(call: Call) -> list[dict[str, Any]]:
    now = call.cluster.now()
    return [node_entry(call.cluster, n, now) for _, n in sorted(call.cluster.nodes.items())]


def node_summary(call: Call) -> dict[str, Any]:
    node = call.cluster.reachable_node(call.node)
    return node_status(call.cluster, node, call.cluster.now())


def nextid(call: Call) -> str:
    """The lowest free id as a string; nothing is reserved, so two callers get the same one."""
    taken = call.cluster.guests
    if "vmid" in call.params:
        if call.vmid in taken:
            raise bad_parameter("vmid", f"VM {call.vmid} already exists")
        return str(call.vmid)
    return str(next(v for v in itertools.count(FIRST_VMID) if v not in taken))


def resources(call: Call) -> list[dict[str, Any]]:
    return cluster_resources(call.cluster, call.text("type"))


def storages(call: Call) -> list[dict[str, Any]]:
    node = call.cluster.reachable_node(call.node)
    wanted = call.text("storage")
    entries = storage_entries(call.cluster, node, call.text("content"))
    return [e for e in entries if wanted is None or e["storage"] == wanted]


def storage_content(call: Call) -> list[dict[str, Any]]:
    node = call.cluster.reachable_node(call.node)
    storage = node.storages.get(call.params["storage"])
    if storage is None:
        raise PveError(500, f"storage '{call.params['storage']}' does not exist")
    wanted = call.text("content")
    entries: list[dict[str, Any]] = []
    for volid, size in sorted(storage.volumes.items()):
        content = volid.split(":", 1)[1].split("/", 1)[0]
        if wanted is None or wanted == content:
            fmt = volid.rsplit(".", 1)[-1] if content != "iso" else "iso"
            entries.append({"volid": volid, "content": content, "format": fmt, "size": size})
    for guest in sorted(call.cluster.guests.values(), key=lambda g: g.vmid):
        key = guest.disk_key
        if guest.node != node.name or key is None or guest.disk_storage != storage.name:
            continue
        if wanted in (None, "images", "rootdir"):
            volid = guest.config[key].split(",", 1)[0]
            entries.append(
                {
                    "volid": volid,
                    "content": "rootdir" if guest.kind == "lxc" else "images",
                    "format": "raw",
                    "size": guest.disk_bytes,
                    "vmid": guest.vmid,
                }
            )
    return entries


def _task(call: Call) -> Task:
    call.cluster.reachable_node(call.node)
    upid = call.params["upid"]
    if upid_decode(upid) is None:
        raise bad_parameter("upid", "unable to parse worker upid")
    task = call.cluster.tasks.get(upid)
    if task is None or task.node != call.node:
        raise bad_parameter("upid", "no such task")
    return task


def task_status(call: Call) -> dict[str, Any]:
    return _task(call).status_entry()


def task_log(call: Call) -> Reply:
    task = _task(call)
    task.write_due(call.cluster.now())
    start, limit = call.number("start", 0), call.number("limit", 50)
    lines = [{"n": i + 1, "t": text} for i, text in enumerate(task.lines)]
    if not lines:  # PVE's dump_logfile answers an empty log with one made-up line
        return Reply([{"n": 1, "t": "no content"}], {"total": 1})
    return Reply(lines[start : start + limit] if limit else lines[start:], {"total": len(lines)})


def task_stop(call: Call) -> None:
    call.cluster.kill(_task(call))


def task_list(call: Call) -> Reply:
    """`source` archive (the default) lists finished tasks only, active the running ones."""
    call.cluster.reachable_node(call.node)
    source = call.text("source", "archive")
    vmid = call.text("vmid")
    kinds = call.text("typefilter")
    found = []
    for task in reversed(list(call.cluster.tasks.values())):
        if task.node != call.node or (vmid is not None and task.ident != vmid):
            continue
        if (source == "archive" and task.running) or (source == "active" and not task.running):
            continue
        if kinds and task.kind != kinds:
            continue
        if call.flag("errors") and (task.running or task.ok):
            continue
        found.append(task.list_entry())
    start, limit = call.number("start", 0), call.number("limit", 50)
    return Reply(found[start : start + limit], {"total": len(found)})
