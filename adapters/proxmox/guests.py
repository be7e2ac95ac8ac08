"""Where each guest lives and what it is: the location cache, and the calls on a guest's own
endpoints (`/nodes/{node}/{lxc|qemu}/{vmid}/...`).

A guest's kind never changes and its node rarely does, so both are remembered once learnt: an
operation asks the right endpoint first instead of trying both kinds, and `find` asks the node
the guest was last seen on before the cluster view, which lags ~10 s behind fresh guests.
"""

from __future__ import annotations

from typing import Any

from adapters.proxmox import specs
from adapters.proxmox.client import ProxmoxClient, api_path
from adapters.proxmox.config import ProxmoxSite
from adapters.proxmox.inventory import KINDS, Inventory, as_int, configured_info, disk_key
from adapters.proxmox.tasks import task_ref
from domain.model.catalogue import GuestKind
from domain.model.errors import NotFound, ValidationError
from ports.hypervisor import GuestInfo, TaskRef


def guest_path(node: str, kind: GuestKind, vmid: int, *rest: object) -> str:
    return api_path("nodes", node, kind.value, vmid, *rest)


class Guests:
    def __init__(self, client: ProxmoxClient, inventory: Inventory) -> None:
        self._client = client
        self._inventory = inventory
        self._kinds: dict[int, GuestKind] = {}
        self._homes: dict[int, str] = {}

    def learn(self, vmid: int, kind: GuestKind, node: str) -> None:
        self._kinds[vmid] = kind
        self._homes[vmid] = node

    def current(self, node: str, vmid: int) -> tuple[GuestKind, dict[str, Any]]:
        """The guest's kind and live status, read on its node; NotFound when it is not there."""
        self._inventory.site_of(node)
        known = self._kinds.get(vmid)
        order = (known, *(k for k in KINDS if k is not known)) if known else KINDS
        for kind in order:
            try:
                status = self._client.get(guest_path(node, kind, vmid, "status", "current"))
            except NotFound as missing:
                if missing.details.get("kind") == "node":
                    raise
                continue
            self.learn(vmid, kind, node)
            return kind, dict(status or {})
        raise NotFound("guest", vmid)

    def find(self, vmid: int) -> GuestInfo | None:
        view = self._inventory.cluster_guests()
        listed = next((str(r["node"]) for r in view if as_int(r.get("vmid")) == vmid), None)
        tried: list[str] = []
        for node in (self._homes.get(vmid), listed):
            if node and node not in tried:
                tried.append(node)
                if (info := self._info_on(node, vmid)) is not None:
                    return info
        # The cluster view lags behind a guest created a moment ago: ask the nodes themselves.
        online = {
            n.get("node") for n in self._client.get("/nodes") or [] if n.get("status") == "online"
        }
        for node in self._inventory.all_nodes():
            if node in tried or node not in online:
                continue
            listed_here = any(
                as_int(g.get("vmid")) == vmid for g in self._inventory.node_guests(node)
            )
            if listed_here and (info := self._info_on(node, vmid)) is not None:
                return info
        return None

    def _info_on(self, node: str, vmid: int) -> GuestInfo | None:
        try:
            kind, status = self.current(node, vmid)
            config = self.config(node, kind, vmid)
        except NotFound:
            return None
        return configured_info(node, kind, vmid, status, config, self._inventory.site_of(node))

    def config(self, node: str, kind: GuestKind, vmid: int) -> dict[str, Any]:
        return dict(self._client.get(guest_path(node, kind, vmid, "config")) or {})

    def put_config(self, node: str, kind: GuestKind, vmid: int, values: dict) -> None:
        self._client.put(guest_path(node, kind, vmid, "config"), **values)

    def grow(
        self, node: str, kind: GuestKind, vmid: int, site: ProxmoxSite, disk_gib: int
    ) -> TaskRef | None:
        """Grow the guest's disk to `disk_gib`; None when it already has that size."""
        key = disk_key(kind, site)
        current = specs.disk_gib(self.config(node, kind, vmid).get(key))
        if disk_gib < current:
            raise ValidationError("disk", f"cannot shrink from {current} GiB to {disk_gib} GiB")
        if disk_gib == current:
            return None
        upid = self._client.put(
            guest_path(node, kind, vmid, "resize"), disk=key, size=f"{disk_gib}G"
        )
        return task_ref(upid) if upid else None  # PVE before 8 answered null here
