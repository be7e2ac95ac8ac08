"""What must hold before a guest is changed.

- Idle: no task of the guest's running and no config `lock`. PVE itself would only queue the
  worker and fail it ten seconds later on the flock; we raise Locked at once, with the running
  task's node and upid so that the caller may wait for it.
- Room: PVE overcommits without limit, so what a create or a growth adds is checked against the
  node's figures by the domain's placement rule, with the overcommit placement uses: the adapter
  refuses exactly what placement would not choose.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from adapters.proxmox.client import ProxmoxClient, api_path
from adapters.proxmox.config import ProxmoxSite
from adapters.proxmox.guests import Guests
from adapters.proxmox.inventory import Inventory, configured_info
from domain.model.catalogue import GuestKind, ServerConfig
from domain.model.errors import CapacityExhausted, Locked, ValidationError
from domain.model.placement import Overcommit, fits, growth
from ports.clock import Clock

# Tasks that hold no guest lock: an open console must not block power actions.
_LOCK_FREE_TASKS = frozenset({"vncproxy", "vncshell", "spiceproxy", "termproxy"})


@attrs.frozen
class Guards:
    _client: ProxmoxClient
    _inventory: Inventory
    _guests: Guests
    _overcommit: Overcommit
    _clock: Clock
    _sleep: Callable[[float], None]
    _poll_seconds: float
    _timeout_seconds: float

    # --- locks -----------------------------------------------------------------------------------
    def ensure_idle(self, node: str, vmid: int, status: Mapping[str, Any]) -> None:
        """Locked when a task runs on the guest (a create's `lock: create` is its task's), or when
        its config is locked."""
        active = self._client.get(api_path("nodes", node, "tasks"), vmid=vmid, source="active")
        for task in active or []:
            if _is_running(task) and task.get("type") not in _LOCK_FREE_TASKS:
                raise Locked(
                    f"guest {vmid} is busy with a {task.get('type')} task",
                    vmid=vmid,
                    node=node,
                    upid=task.get("upid"),
                )
        lock = status.get("lock")
        if lock:
            raise Locked(f"guest {vmid} is locked ({lock})", vmid=vmid, lock=lock)

    def wait_unlocked(self, node: str, vmid: int) -> dict[str, Any]:
        """The guest's status once its config lock is gone (its task ended, well or not); NotFound
        if the guest went with it (a failed clone is removed)."""
        deadline = self._clock.now() + dt.timedelta(seconds=self._timeout_seconds)
        while True:
            _, status = self._guests.current(node, vmid)
            if not status.get("lock"):
                return status
            if self._clock.now() >= deadline:
                raise Locked(f"guest {vmid} is locked ({status['lock']})", vmid=vmid)
            self._sleep(self._poll_seconds)

    # --- room ------------------------------------------------------------------------------------
    def ensure_room(self, node: str, site: ProxmoxSite, size: ServerConfig) -> None:
        if not fits(self._inventory.load(node, site), size, self._overcommit):
            raise CapacityExhausted(f"node {node} has no room for the guest", node=node)

    def ensure_growth(
        self,
        node: str,
        site: ProxmoxSite,
        kind: GuestKind,
        config: Mapping[str, Any],
        wanted: ServerConfig,
    ) -> None:
        """The guest configured as `config` may become `wanted`: its disk does not shrink and the
        node has room for what grows (the node's figures are read only when something does)."""
        current = configured_info(node, kind, 0, {}, config, site).size
        if wanted.disk_gib < current.disk_gib:
            raise ValidationError(
                "disk", f"cannot shrink from {current.disk_gib} GiB to {wanted.disk_gib} GiB"
            )
        added = growth(current, wanted)
        if added is not None and not fits(
            self._inventory.load(node, site), added, self._overcommit
        ):
            raise CapacityExhausted(f"node {node} has no room to grow the guest", node=node)


def _is_running(task: Mapping[str, Any]) -> bool:
    # In the active list a finished task carries its end time and exit status.
    return "endtime" not in task and str(task.get("status") or "RUNNING").upper() == "RUNNING"
