"""The Hypervisor port on a Proxmox VE 8 cluster: this facade keeps the port's promises with
- inventory.py, the read side (nodes and what they carry, guests, figures);
- guests.py, where each guest lives and the calls on its own endpoints;
- guards.py, one task per guest (Locked at once, not a worker that fails on the flock later)
  and room on the node by the domain's placement rule (PVE itself overcommits without limit);
- cloning.py, a QEMU guest as a template's clone, configured and grown, crash-safe;
- shaping.py, an existing guest's new spec, size or password;
- tasks.py, the port's tasks over PVE's UPIDs, several calls under one TaskRef;
- task_log.py, a running task's progress as its log tells it;
- specs.py, the parameters of the calls that make and shape guests;
- lxc_password.py, a container's root password and keys over SSH (PVE has no API for them).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

from adapters.clock import SystemClock
from adapters.proxmox import specs
from adapters.proxmox.client import ProxmoxClient, api_path
from adapters.proxmox.cloning import Cloning
from adapters.proxmox.config import ProxmoxSite
from adapters.proxmox.guards import Guards
from adapters.proxmox.guests import Guests, guest_path
from adapters.proxmox.inventory import Inventory, as_int, guest_stats
from adapters.proxmox.lxc_password import LxcPasswordCommand
from adapters.proxmox.shaping import Shaping
from adapters.proxmox.tasks import TaskTracker, task_ref
from domain.model.catalogue import GuestKind
from domain.model.errors import Conflict, NotFound
from domain.model.placement import NodeLoad, Overcommit
from ports.clock import Clock
from ports.hypervisor import (
    ConsoleTicket,
    GuestInfo,
    GuestSpec,
    GuestStats,
    RrdPoint,
    SnapshotInfo,
    TaskProgress,
    TaskRef,
    TaskState,
    TemplateInfo,
)

# How long a vncproxy ticket is accepted for opening the websocket (PVE checks its age).
CONSOLE_TICKET_TTL = dt.timedelta(seconds=40)


class ProxmoxHypervisor:
    def __init__(
        self,
        client: ProxmoxClient,
        sites: Mapping[int, ProxmoxSite],
        *,
        clock: Clock | None = None,
        sleep: Callable[[float], None] = time.sleep,
        shutdown_timeout: int = 60,
        task_poll_seconds: float = 1.0,
        task_timeout_seconds: float = 3600.0,
        overcommit: Overcommit | None = None,
        lxc_password_command: LxcPasswordCommand | None = None,
    ) -> None:
        self._client = client
        self._inventory = Inventory(client, sites)
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._shutdown_timeout = shutdown_timeout
        self._tasks = TaskTracker(
            client,
            clock=self._clock,
            sleep=sleep,
            poll_seconds=task_poll_seconds,
            timeout_seconds=task_timeout_seconds,
        )
        self._guests = Guests(client, self._inventory)
        self._guards = Guards(
            client,
            self._inventory,
            self._guests,
            overcommit or Overcommit(),
            self._clock,
            sleep,
            task_poll_seconds,
            task_timeout_seconds,
        )
        parts = (client, self._inventory, self._guests, self._guards, self._tasks)
        self._cloning = Cloning(*parts, self.destroy)
        self._shaping = Shaping(*parts, lxc_password_command)

    # --- reads -----------------------------------------------------------------------------------
    def nodes(self, location_id: int) -> list[NodeLoad]:
        return self._inventory.nodes(location_id)

    def next_vmid(self) -> int:
        return as_int(self._client.get("/cluster/nextid"))

    def find_guest(self, vmid: int) -> GuestInfo | None:
        return self._guests.find(vmid)

    def guests(self, location_id: int) -> list[GuestInfo]:
        return self._inventory.guests(location_id)

    def templates(self, node: str) -> list[TemplateInfo]:
        return self._inventory.templates(node)

    def snapshots(self, node: str, vmid: int) -> list[SnapshotInfo]:
        kind, _ = self._guests.current(node, vmid)
        return self._inventory.snapshots(node, kind, vmid)

    def stats(self, node: str, vmid: int) -> GuestStats:
        _, status = self._guests.current(node, vmid)
        return guest_stats(vmid, status)

    def rrd(self, node: str, vmid: int) -> list[RrdPoint]:
        kind, _ = self._guests.current(node, vmid)
        return self._inventory.rrd(node, kind, vmid)

    def all_stats(self) -> list[GuestStats]:
        return [
            guest_stats(as_int(r.get("vmid")), r)
            for r in sorted(self._inventory.cluster_guests(), key=lambda r: as_int(r.get("vmid")))
            # Fresh guests and those of an offline node are "unknown": no figures to give.
            if not as_int(r.get("template")) and r.get("status") in ("running", "stopped")
        ]

    # --- tasks -----------------------------------------------------------------------------------
    def task(self, ref: TaskRef) -> TaskState:
        return self._tasks.state(ref)

    def wait(self, ref: TaskRef, on_progress: TaskProgress | None = None) -> TaskState:
        return self._tasks.wait(ref, on_progress)

    def progress(self, ref: TaskRef) -> int | None:
        return self._tasks.progress(ref)

    # --- creating and shaping guests -------------------------------------------------------------
    def create_guest(self, node: str, spec: GuestSpec) -> TaskRef:
        site = self._inventory.site_of(node)
        self._guards.ensure_room(node, site, spec.size)
        if spec.kind is not GuestKind.LXC:
            return self._cloning.create(node, spec, site)
        path = api_path("nodes", node, "lxc")
        ref = task_ref(self._client.post(path, **specs.lxc_create(spec, site)))
        self._guests.learn(spec.vmid, GuestKind.LXC, node)
        return ref

    def reconfigure(self, node: str, vmid: int, spec: GuestSpec) -> TaskRef:
        return self._shaping.reconfigure(node, vmid, spec)

    def resize(
        self, node: str, vmid: int, *, cores: int, memory_mib: int, disk_gib: int
    ) -> TaskRef:
        return self._shaping.resize(
            node, vmid, cores=cores, memory_mib=memory_mib, disk_gib=disk_gib
        )

    def set_password(self, node: str, vmid: int, password: str, user: str = "") -> TaskRef:
        return self._shaping.set_password(node, vmid, password, user)

    # --- power -----------------------------------------------------------------------------------
    def start(self, node: str, vmid: int) -> TaskRef:
        return self._power(node, vmid, "start")

    def shutdown(self, node: str, vmid: int) -> TaskRef:
        # PVE does the fallback itself: after `timeout` seconds `forceStop` kills the guest.
        return self._power(node, vmid, "shutdown", timeout=self._shutdown_timeout, forceStop=True)

    def stop(self, node: str, vmid: int) -> TaskRef:
        return self._power(node, vmid, "stop")

    def reboot(self, node: str, vmid: int) -> TaskRef:
        return self._power(node, vmid, "reboot", needs_running=True)

    def _power(
        self, node: str, vmid: int, action: str, *, needs_running: bool = False, **params: object
    ) -> TaskRef:
        kind, status = self._guests.current(node, vmid)
        if needs_running and status.get("status") != "running":
            raise Conflict(f"guest {vmid} is not running", vmid=vmid)
        self._guards.ensure_idle(node, vmid, status)
        path = guest_path(node, kind, vmid, "status", action)
        return task_ref(self._client.post(path, **params))

    # --- snapshots -------------------------------------------------------------------------------
    def create_snapshot(self, node: str, vmid: int, name: str, description: str) -> TaskRef:
        kind, status = self._guests.current(node, vmid)
        self._guards.ensure_idle(node, vmid, status)
        path = guest_path(node, kind, vmid, "snapshot")
        return task_ref(self._client.post(path, snapname=name, description=description or None))

    def rollback(self, node: str, vmid: int, name: str) -> TaskRef:
        kind, status = self._snapshot_target(node, vmid, name)
        # PVE stops a running guest to roll it back; `start` brings it back up afterwards.
        path = guest_path(node, kind, vmid, "snapshot", name, "rollback")
        return task_ref(self._client.post(path, start=status.get("status") == "running"))

    def delete_snapshot(self, node: str, vmid: int, name: str) -> TaskRef:
        kind, _ = self._snapshot_target(node, vmid, name)
        return task_ref(self._client.delete(guest_path(node, kind, vmid, "snapshot", name)))

    def _snapshot_target(self, node: str, vmid: int, name: str) -> tuple[GuestKind, dict]:
        kind, status = self._guests.current(node, vmid)
        self._guards.ensure_idle(node, vmid, status)
        if name not in {s.name for s in self._inventory.snapshots(node, kind, vmid)}:
            raise NotFound("snapshot", name)
        return kind, status

    # --- console and removal ---------------------------------------------------------------------
    def console(self, node: str, vmid: int) -> ConsoleTicket:
        kind, status = self._guests.current(node, vmid)
        if status.get("status") != "running":
            raise Conflict(f"guest {vmid} is not running", vmid=vmid)
        proxy = self._client.post(guest_path(node, kind, vmid, "vncproxy"), websocket=True)
        api = urlsplit(self._client.connection.url)
        viewer = "lxc" if kind is GuestKind.LXC else "kvm"
        url = (
            f"{api.scheme}://{api.netloc}/?console={viewer}&vmid={vmid}&node={node}"
            "&novnc=1&resize=scale"
        )
        return ConsoleTicket(
            url=url,
            host=api.hostname or "",
            port=as_int(proxy.get("port")),
            ticket=str(proxy.get("ticket")),
            expires_at=self._clock.now() + CONSOLE_TICKET_TTL,
        )

    def destroy(self, node: str, vmid: int) -> TaskRef:
        kind, status = self._guests.current(node, vmid)
        if status.get("status") == "running":
            raise Conflict(f"guest {vmid} is running - destroy failed", vmid=vmid)
        self._guards.ensure_idle(node, vmid, status)
        path = guest_path(node, kind, vmid)
        return task_ref(
            self._client.delete(path, purge=True, **{"destroy-unreferenced-disks": True})
        )
