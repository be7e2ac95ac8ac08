"""The read side: nodes with what their guests reserve, guests, figures.

`/cluster/resources` is one cheap call for the whole cluster, but its guest numbers come from a
broadcast refreshed every ~10 s: a guest created a moment ago is missing or `unknown`, a stopped
one may still show `running`. So anything that must be current is read from the node itself
(`/nodes/{node}/{lxc,qemu}` lists, `status/current`, `config`); the cluster view serves only
for finding where a guest lives, for figures of every guest at once, and for a node that is
offline and cannot be asked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from adapters.proxmox import specs
from adapters.proxmox.client import ProxmoxClient, api_path
from adapters.proxmox.config import ProxmoxSite
from domain.model.catalogue import GuestKind
from domain.model.errors import ExternalFailure, NotFound
from domain.model.placement import NodeLoad
from ports.hypervisor import GuestInfo, GuestStats, RrdPoint, SnapshotInfo, TemplateInfo

KINDS = (GuestKind.LXC, GuestKind.QEMU)


def as_int(value: object) -> int:
    # PVE sends some numbers as strings (nextid, vmid on old releases, prefixes).
    try:
        return int(float(str(value)))
    except (TypeError, ValueError):
        return 0


def as_float(value: object) -> float:
    try:
        return float(str(value))
    except (TypeError, ValueError):
        return 0.0


def disk_key(kind: GuestKind, site: ProxmoxSite) -> str:
    return "rootfs" if kind is GuestKind.LXC else site.qemu_disk


class Inventory:
    def __init__(self, client: ProxmoxClient, sites: Mapping[int, ProxmoxSite]) -> None:
        self._client = client
        self._sites = sites  # read on every call: nodes may be added while we run

    # --- layout ----------------------------------------------------------------------------------
    def site_of(self, node: str) -> ProxmoxSite:
        for site in self._sites.values():
            if node in site.nodes:
                return site
        raise NotFound("node", node)

    def all_nodes(self) -> list[str]:
        return [n for site in self._sites.values() for n in site.nodes]

    # --- nodes -----------------------------------------------------------------------------------
    def nodes(self, location_id: int) -> list[NodeLoad]:
        site = self._sites.get(location_id)
        if site is None:
            return []
        members = {n["node"]: n for n in self._client.get("/nodes") or [] if "node" in n}
        cluster_view: list[dict[str, Any]] | None = None
        loads = []
        for name in sorted(site.nodes):
            entry = members.get(name, {})
            if entry.get("status") == "online":
                loads.append(self.load(name, site, entry))
            else:
                if cluster_view is None:
                    cluster_view = self._client.get("/cluster/resources") or []
                loads.append(self._offline_load(name, site, entry, cluster_view))
        return loads

    def load(
        self, node: str, site: ProxmoxSite, member: Mapping[str, Any] | None = None
    ) -> NodeLoad:
        """A reachable node's capacity and reservations, read from the node now."""
        if member is None:
            member = next(
                (n for n in self._client.get("/nodes") or [] if n.get("node") == node), {}
            )
        storages = self._client.get(api_path("nodes", node, "storage"), storage=site.storage)
        storage = next((s for s in storages or [] if s.get("storage") == site.storage), None)
        if storage is None:
            raise ExternalFailure(
                f"node {node} has no storage {site.storage!r}", node=node, storage=site.storage
            )
        guests = [g for g in self.node_guests(node) if not g.get("template")]
        return NodeLoad(
            name=node,
            online=member.get("status") == "online",
            cores=as_int(member.get("maxcpu")),
            memory_mib=as_int(member.get("maxmem")) // specs.MIB,
            disk_gib=as_int(storage.get("total")) // specs.GIB,
            used_cores=sum(as_int(g.get("cpus")) for g in guests),
            used_memory_mib=sum(as_int(g.get("maxmem")) for g in guests) // specs.MIB,
            used_disk_gib=sum(as_int(g.get("maxdisk")) for g in guests) // specs.GIB,
        )

    def _offline_load(
        self,
        node: str,
        site: ProxmoxSite,
        member: Mapping[str, Any],
        cluster_view: list[dict[str, Any]],
    ) -> NodeLoad:
        storage_id = f"storage/{node}/{site.storage}"
        storage = next((r for r in cluster_view if r.get("id") == storage_id), {})
        guests = [
            r
            for r in cluster_view
            if r.get("type") in ("lxc", "qemu") and r.get("node") == node and not r.get("template")
        ]
        return NodeLoad(
            name=node,
            online=False,
            cores=as_int(member.get("maxcpu")),
            memory_mib=as_int(member.get("maxmem")) // specs.MIB,
            disk_gib=as_int(storage.get("maxdisk")) // specs.GIB,
            used_cores=sum(as_int(g.get("maxcpu")) for g in guests),
            used_memory_mib=sum(as_int(g.get("maxmem")) for g in guests) // specs.MIB,
            used_disk_gib=sum(as_int(g.get("maxdisk")) for g in guests) // specs.GIB,
        )

    # --- guests ----------------------------------------------------------------------------------
    def node_guests(self, node: str) -> list[dict[str, Any]]:
        """Every guest of a node, from the node's own lists (live, unlike the cluster view)."""
        found: list[dict[str, Any]] = []
        for kind in KINDS:
            for entry in self._client.get(api_path("nodes", node, kind.value)) or []:
                found.append({**entry, "type": kind.value, "node": node})
        return found

    def guests(self, location_id: int) -> list[GuestInfo]:
        site = self._sites.get(location_id)
        if site is None:
            return []
        infos = [listed_info(g) for node in site.nodes for g in self.node_guests(node)]
        return sorted(infos, key=lambda g: g.vmid)

    def templates(self, node: str) -> list[TemplateInfo]:
        """The node's container templates (on every storage that holds them) and its QEMU
        templates, from the node itself."""
        self.site_of(node)  # a node we do not serve is not found, as for every other call
        found: list[TemplateInfo] = []
        for storage in self._client.get(api_path("nodes", node, "storage"), content="vztmpl") or []:
            entries = self._client.get(
                api_path("nodes", node, "storage", storage["storage"], "content"), content="vztmpl"
            )
            found += [
                TemplateInfo(GuestKind.LXC, str(e["volid"]), str(e["volid"]))
                for e in entries or []
                if e.get("content") == "vztmpl"
            ]
        for entry in self._client.get(api_path("nodes", node, GuestKind.QEMU.value)) or []:
            if as_int(entry.get("template")):
                vmid = as_int(entry.get("vmid"))
                found.append(TemplateInfo(GuestKind.QEMU, str(vmid), str(entry.get("name", ""))))
        return sorted(found, key=lambda t: (t.kind.value, t.ref))

    def cluster_guests(self) -> list[dict[str, Any]]:
        return [
            r
            for r in self._client.get("/cluster/resources", type="vm") or []
            if r.get("type") in ("lxc", "qemu")
        ]

    def where(self, vmid: int, *, hint: str | None = None) -> Iterable[str]:
        """Nodes to look for a guest on, likeliest first: what we last knew, what the cluster
        view says, then every node we serve (the view lags behind fresh guests)."""
        seen: list[str] = []
        if hint:
            seen.append(hint)
        listed = next((r for r in self.cluster_guests() if as_int(r.get("vmid")) == vmid), None)
        if listed and listed.get("node") not in seen:
            seen.append(str(listed["node"]))
        seen += [n for n in self.all_nodes() if n not in seen]
        return seen

    def snapshots(self, node: str, kind: GuestKind, vmid: int) -> list[SnapshotInfo]:
        entries = self._client.get(api_path("nodes", node, kind.value, vmid, "snapshot")) or []
        return [
            SnapshotInfo(
                name=str(e["name"]),
                description=str(e.get("description") or "").rstrip("\n"),
                created_at=(
                    dt.datetime.fromtimestamp(as_int(e["snaptime"]), dt.UTC)
                    if e.get("snaptime")
                    else None
                ),
            )
            for e in sorted(entries, key=lambda e: as_int(e.get("snaptime")))
            if e.get("name") != "current"
        ]

    def rrd(self, node: str, kind: GuestKind, vmid: int) -> list[RrdPoint]:
        points = self._client.get(
            api_path("nodes", node, kind.value, vmid, "rrddata"), timeframe="hour"
        )
        return [
            RrdPoint(
                time=as_int(p["time"]),
                cpu=as_float(p.get("cpu")),
                memory_used=as_int(p.get("mem")),
                net_in=as_float(p.get("netin")),
                net_out=as_float(p.get("netout")),
            )
            for p in points or []
            # A point of a guest that was not running carries only its time.
            if "time" in p and any(k in p for k in ("cpu", "mem", "netin", "netout"))
        ]


def listed_info(entry: Mapping[str, Any]) -> GuestInfo:
    """A GuestInfo from a node list or cluster-view entry (sizes in bytes there)."""
    return GuestInfo(
        node=str(entry.get("node")),
        vmid=as_int(entry.get("vmid")),
        kind=GuestKind(entry.get("type")),
        name=str(entry.get("name") or ""),
        status=str(entry.get("status") or "unknown"),
        cores=as_int(entry.get("cpus", entry.get("maxcpu"))),
        memory_mib=as_int(entry.get("maxmem")) // specs.MIB,
        disk_gib=as_int(entry.get("maxdisk")) // specs.GIB,
        template=bool(as_int(entry.get("template"))),
        tags=specs.parse_tags(entry.get("tags")),
    )


def configured_info(
    node: str,
    kind: GuestKind,
    vmid: int,
    status: Mapping[str, Any],
    config: Mapping[str, Any],
    site: ProxmoxSite,
) -> GuestInfo:
    """A GuestInfo from the node's live status and the guest's configuration (its maxima)."""
    name_key = "hostname" if kind is GuestKind.LXC else "name"
    memory = str(config.get("memory", "512"))
    return GuestInfo(
        node=node,
        vmid=vmid,
        kind=kind,
        name=str(config.get(name_key) or status.get("name") or ""),
        status=str(status.get("status") or "unknown"),
        cores=as_int(config.get("cores", 1)) * as_int(config.get("sockets", 1) or 1),
        memory_mib=as_int(memory.removeprefix("current=").split(",")[0]),
        disk_gib=specs.disk_gib(config.get(disk_key(kind, site))),
        template=bool(as_int(config.get("template"))),
        tags=specs.parse_tags(config.get("tags")),
    )


def guest_stats(vmid: int, entry: Mapping[str, Any]) -> GuestStats:
    return GuestStats(
        vmid=vmid,
        status=str(entry.get("status") or "unknown"),
        uptime=as_int(entry.get("uptime")),
        cpu=min(max(as_float(entry.get("cpu")), 0.0), 1.0),
        memory_used=as_int(entry.get("mem")),
        memory_max=as_int(entry.get("maxmem")),
        disk_used=as_int(entry.get("disk")),
        disk_max=as_int(entry.get("maxdisk")),
        net_in=as_int(entry.get("netin")),
        net_out=as_int(entry.get("netout")),
        disk_read=as_int(entry.get("diskread")),
        disk_write=as_int(entry.get("diskwrite")),
    )
