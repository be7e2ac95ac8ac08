"""A hypervisor that behaves like a small Proxmox VE cluster, on a clock that tests control.

Every change runs as a task that lasts a configurable time on the clock. Its effect (a guest that
exists, a guest that runs, a new size...) appears when the task ends OK; a task that fails leaves
the guest as it was (a failed create leaves nothing). One task per guest at a time: another
operation on a guest whose task still runs raises Locked. A node takes what placement would put
on it (hypervisor_cluster.py), as the Proxmox adapter does. A create's or a resize's task tells
its progress, as Proxmox's log does, here the share of its time gone by.

Test helpers (hypervisor_controls.py): `add_node`, `add_ostemplate`, `add_template`,
`seed_guest`, `remove_guest`, `set_node_online`, `set_usage`, `fail_next`, `guest`, `guests_all`,
`password_of`, `user_of`, `running_tasks`; and `call_log`, `durations`, `overcommit`.
"""

from __future__ import annotations

import datetime as dt
import itertools
import secrets

from adapters.memory.hypervisor_controls import ControlledCluster
from adapters.memory.hypervisor_state import DEFAULT_DURATIONS, FIRST_VMID, Guest, Snapshot
from domain.model.catalogue import GuestKind, ServerConfig
from domain.model.errors import (
    AlreadyExists,
    Conflict,
    ExternalFailure,
    Locked,
    NotFound,
)
from domain.model.placement import NodeLoad
from ports.hypervisor import (
    ConsoleTicket,
    GuestInfo,
    GuestSpec,
    GuestStats,
    RrdPoint,
    SnapshotInfo,
    TaskRef,
    TemplateInfo,
)

CONSOLE_TTL = dt.timedelta(seconds=40)


class FakeHypervisor(ControlledCluster):
    # The names `durations` is keyed by (operations, and "clone" for a QEMU create), so a caller can
    # set them all at once as the sandbox does.
    OPERATIONS: tuple[str, ...] = tuple(DEFAULT_DURATIONS)

    # --- reads -----------------------------------------------------------------------------------
    def nodes(self, location_id: int) -> list[NodeLoad]:
        with self._lock:
            self._settle()
            return [
                self._load(n)
                for n in sorted(self._nodes.values(), key=lambda n: n.name)
                if n.location_id == location_id
            ]

    def next_vmid(self) -> int:
        with self._lock:
            self._settle()
            taken = set(self._guests) | {t.vmid for t in self._pending_creates()}
            return next(v for v in itertools.count(FIRST_VMID) if v not in taken)

    def find_guest(self, vmid: int) -> GuestInfo | None:
        with self._lock:
            self._settle()
            guest = self._guests.get(vmid)
            return guest.info() if guest else None

    def guests(self, location_id: int) -> list[GuestInfo]:
        with self._lock:
            self._settle()
            return [
                g.info()
                for v, g in sorted(self._guests.items())
                if self._nodes[g.node].location_id == location_id
            ]

    def templates(self, node: str) -> list[TemplateInfo]:
        with self._lock:
            self._settle()
            found = self._node(node, usable=True)
            volumes = [TemplateInfo(GuestKind.LXC, v, v) for v in found.ostemplates]
            guests = [
                TemplateInfo(g.kind, str(g.vmid), g.name)
                for g in self._guests.values()
                if g.template and g.node == node and g.kind is GuestKind.QEMU
            ]
            return sorted(volumes + guests, key=lambda t: (t.kind.value, t.ref))

    def snapshots(self, node: str, vmid: int) -> list[SnapshotInfo]:
        with self._lock:
            guest = self._require_guest(node, vmid)
            return [s.info for s in guest.snapshots.values()]

    def stats(self, node: str, vmid: int) -> GuestStats:
        with self._lock:
            return self._require_guest(node, vmid).stats(self.clock.now())

    def rrd(self, node: str, vmid: int) -> list[RrdPoint]:
        with self._lock:
            return self._require_guest(node, vmid).rrd(self.clock.now())

    def all_stats(self) -> list[GuestStats]:
        with self._lock:
            self._settle()
            now = self.clock.now()
            return [
                g.stats(now)
                for v, g in sorted(self._guests.items())
                if not g.template and self._nodes[g.node].online
            ]

    # --- operations ------------------------------------------------------------------------------
    def create_guest(self, node: str, spec: GuestSpec) -> TaskRef:
        with self._lock:
            self._enter("create", node, spec.vmid)
            if (running := self._running_task(spec.vmid)) is not None:
                raise Locked(
                    f"guest {spec.vmid} is locked (create)",
                    vmid=spec.vmid,
                    node=running.ref.node,
                    upid=running.ref.upid,
                )
            if spec.vmid in self._guests:
                raise AlreadyExists(f"guest {spec.vmid} already exists", vmid=spec.vmid)
            self._ensure_room(node, spec.size)
            guest = Guest.of(node, spec)

            def created() -> None:
                self._guests[guest.vmid] = guest

            duration = "create" if spec.kind is GuestKind.LXC else "clone"
            return self._begin("create", node, guest, created, duration=duration, creates=guest)

    def reconfigure(self, node: str, vmid: int, spec: GuestSpec) -> TaskRef:
        with self._lock:
            guest = self._operable("reconfigure", node, vmid)
            if guest.status == "running":
                raise Conflict(f"guest {vmid} must be stopped to be reconfigured", vmid=vmid)
            self._ensure_growth(guest, spec.size)

            def reconfigured() -> None:
                guest.name, guest.tags = spec.hostname, tuple(spec.tags)
                guest.cores, guest.memory_mib = spec.cores, spec.memory_mib
                guest.disk_gib, guest.password = spec.disk_gib, spec.root_password
                guest.user = spec.user or "root"
                guest.ssh_keys = spec.ssh_keys

            return self._begin("reconfigure", node, guest, reconfigured)

    def start(self, node: str, vmid: int) -> TaskRef:
        return self._power("start", node, vmid, running=True)

    def shutdown(self, node: str, vmid: int) -> TaskRef:
        return self._power("shutdown", node, vmid, running=False)

    def stop(self, node: str, vmid: int) -> TaskRef:
        return self._power("stop", node, vmid, running=False)

    def reboot(self, node: str, vmid: int) -> TaskRef:
        with self._lock:
            guest = self._operable("reboot", node, vmid)
            if guest.status != "running":
                raise Conflict(f"guest {vmid} is not running", vmid=vmid)
            return self._begin("reboot", node, guest, lambda: guest.power(True, self.clock.now()))

    def resize(
        self, node: str, vmid: int, *, cores: int, memory_mib: int, disk_gib: int
    ) -> TaskRef:
        with self._lock:
            guest = self._operable("resize", node, vmid)
            self._ensure_growth(guest, ServerConfig(cores, memory_mib, disk_gib))

            def resized() -> None:
                guest.cores, guest.memory_mib, guest.disk_gib = cores, memory_mib, disk_gib

            return self._begin("resize", node, guest, resized)

    def create_snapshot(self, node: str, vmid: int, name: str, description: str) -> TaskRef:
        with self._lock:
            guest = self._operable("snapshot", node, vmid)
            taken = f"snapshot name '{name}' already used" if name in guest.snapshots else None
            snapshot = Snapshot(
                SnapshotInfo(name, description, self.clock.now()),
                guest.cores,
                guest.memory_mib,
                guest.disk_gib,
            )
            return self._begin(
                "snapshot",
                node,
                guest,
                lambda: guest.snapshots.__setitem__(name, snapshot),
                failure=taken,
            )

    def rollback(self, node: str, vmid: int, name: str) -> TaskRef:
        """Back to the snapshot's configuration; the guest keeps its power state."""
        with self._lock:
            guest = self._operable("rollback", node, vmid)
            snapshot = guest.snapshots.get(name)
            if snapshot is None:
                raise NotFound("snapshot", name)

            def rolled_back() -> None:
                guest.cores, guest.memory_mib, guest.disk_gib = (
                    snapshot.cores,
                    snapshot.memory_mib,
                    snapshot.disk_gib,
                )

            return self._begin("rollback", node, guest, rolled_back)

    def delete_snapshot(self, node: str, vmid: int, name: str) -> TaskRef:
        with self._lock:
            guest = self._operable("delete_snapshot", node, vmid)
            if name not in guest.snapshots:
                raise NotFound("snapshot", name)
            return self._begin(
                "delete_snapshot", node, guest, lambda: guest.snapshots.pop(name, None)
            )

    def set_password(self, node: str, vmid: int, password: str, user: str = "") -> TaskRef:
        with self._lock:
            guest = self._operable("set_password", node, vmid)

            def change() -> None:
                guest.password = password
                guest.user = user or "root"

            return self._begin("set_password", node, guest, change)

    def console(self, node: str, vmid: int) -> ConsoleTicket:
        with self._lock:
            guest = self._operable("console", node, vmid, check_lock=False)
            fault = self._faults.take("console")
            if fault is not None:
                raise fault.error or ExternalFailure(fault.message)
            if guest.status != "running":
                raise Conflict(f"guest {vmid} is not running", vmid=vmid)
            kind = "lxc" if guest.kind is GuestKind.LXC else "kvm"
            port = 5900 + next(self._pids) % 100
            url = f"https://{self.console_host}:8006/?console={kind}&vmid={vmid}&node={node}&novnc=1&resize=scale"
            return ConsoleTicket(
                url,
                self.console_host,
                port,
                f"PVEVNC:{secrets.token_hex(16)}",
                self.clock.now() + CONSOLE_TTL,
            )

    def destroy(self, node: str, vmid: int) -> TaskRef:
        with self._lock:
            guest = self._operable("destroy", node, vmid)
            if guest.status == "running":
                raise Conflict(f"guest {vmid} is running - destroy failed", vmid=vmid)
            return self._begin("destroy", node, guest, lambda: self._guests.pop(vmid, None))

    def _power(self, operation: str, node: str, vmid: int, *, running: bool) -> TaskRef:
        with self._lock:
            guest = self._operable(operation, node, vmid)
            return self._begin(
                operation, node, guest, lambda: guest.power(running, self.clock.now())
            )
