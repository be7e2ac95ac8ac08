"""What tests (and the sandbox) use to shape the fake hypervisor's cluster and to look into it:
nodes and templates, guests put in place without a task, usage figures, faults to inject, and
what a guest's password is."""

from __future__ import annotations

from adapters.memory.faults import Fault
from adapters.memory.hypervisor_cluster import SimulatedCluster
from adapters.memory.hypervisor_state import FAULTABLE, Guest, Node
from domain.model.catalogue import GuestKind
from ports.hypervisor import GuestInfo, TaskRef


class ControlledCluster(SimulatedCluster):
    def add_node(
        self,
        location_id: int,
        name: str,
        cores: int = 32,
        memory_mib: int = 131072,
        disk_gib: int = 2000,
        *,
        online: bool = True,
    ) -> None:
        with self._lock:
            self._nodes[name] = Node(location_id, name, cores, memory_mib, disk_gib, online)

    def set_node_online(self, name: str, online: bool) -> None:
        with self._lock:
            self._node(name).online = online

    def add_ostemplate(self, node: str, volid: str) -> None:
        """An LXC container template in the node's storage, e.g. "local:vztmpl/debian.tar.zst"."""
        with self._lock:
            self._node(node).ostemplates.add(volid)

    def add_template(
        self, node: str, vmid: int, name: str, kind: GuestKind = GuestKind.QEMU
    ) -> None:
        with self._lock:
            self._node(node)
            self._guests[vmid] = Guest(node, vmid, kind, name, 1, 512, 10, template=True)

    def seed_guest(
        self,
        node: str,
        vmid: int,
        *,
        kind: GuestKind = GuestKind.LXC,
        name: str = "",
        status: str = "running",
        cores: int = 1,
        memory_mib: int = 1024,
        disk_gib: int = 10,
        tags: tuple[str, ...] = (),
    ) -> None:
        """Put a guest in place without a task (drift, orphans, warm pools)."""
        with self._lock:
            self._node(node)
            guest = Guest(
                node, vmid, kind, name or f"guest-{vmid}", cores, memory_mib, disk_gib, tags=tags
            )
            guest.power(status == "running", self.clock.now())
            self._guests[vmid] = guest

    def remove_guest(self, vmid: int) -> None:
        with self._lock:
            self._guests.pop(vmid, None)

    def set_usage(
        self,
        vmid: int,
        *,
        cpu: float | None = None,
        memory_used: int | None = None,
        disk_used: int | None = None,
    ) -> None:
        with self._lock:
            guest = self._require_guest(None, vmid)
            for name, value in (
                ("cpu", cpu),
                ("memory_used", memory_used),
                ("disk_used", disk_used),
            ):
                if value is not None:
                    guest.usage[name] = value

    def fail_next(
        self,
        operation: str,
        *,
        times: int = 1,
        message: str | None = None,
        immediate: bool = False,
        error: Exception | None = None,
    ) -> None:
        """The next `times` calls of `operation` fail: at once (`immediate`, or with `error`) or in
        their task, whose exit status is `message`."""
        if operation not in FAULTABLE:
            raise ValueError(f"unknown hypervisor operation {operation!r}")
        text = message or f"{operation} failed: injected fault"
        self._faults.arm(operation, Fault(times, immediate or error is not None, text, error))

    def guest(self, vmid: int) -> GuestInfo | None:
        with self._lock:
            self._settle()
            found = self._guests.get(vmid)
            return found.info() if found else None

    def guests_all(self) -> list[GuestInfo]:
        """Every guest but the templates (which `templates(node)` lists)."""
        with self._lock:
            self._settle()
            return [g.info() for _, g in sorted(self._guests.items()) if not g.template]

    def password_of(self, vmid: int) -> str | None:
        with self._lock:
            self._settle()
            guest = self._guests.get(vmid)
            return guest.password if guest else None

    def user_of(self, vmid: int) -> str | None:
        """The account `password_of` is the password of."""
        with self._lock:
            self._settle()
            guest = self._guests.get(vmid)
            return guest.user if guest else None

    def running_tasks(self) -> list[TaskRef]:
        with self._lock:
            self._settle()
            return [t.ref for t in self._tasks.values() if not t.settled]
