"""The state behind the fake hypervisor: nodes, guests and tasks on a clock, and the helpers tests
use to shape it. FakeHypervisor (hypervisor.py) puts the Hypervisor port on top.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import time
from collections.abc import Callable
from typing import Any

from adapters.memory.clock import FakeClock
from adapters.memory.faults import Fault, FaultPlan
from adapters.memory.hypervisor_state import (
    DEFAULT_DURATIONS,
    FAULTABLE,
    Guest,
    Node,
    Task,
    task_type,
    upid,
)
from domain.model.catalogue import GuestKind
from domain.model.errors import ExternalFailure, Locked, NotFound, Unavailable
from domain.model.placement import NodeLoad
from ports.clock import Clock
from ports.hypervisor import GuestInfo, TaskRef


class SimulatedCluster:
    def __init__(
        self,
        clock: Clock | None = None,
        *,
        sleep: Callable[[float], None] | None = None,
        durations: dict[str, float] | None = None,
        console_host: str = "pve.example.net",
    ) -> None:
        self.clock: Clock = clock if clock is not None else FakeClock()
        self._sleep = sleep if sleep is not None else self._default_sleep
        self.durations: dict[str, float] = {**DEFAULT_DURATIONS, **(durations or {})}
        self.console_host = console_host
        self.call_log: list[tuple[str, int]] = []
        self._faults = FaultPlan()
        self._nodes: dict[str, Node] = {}
        self._guests: dict[int, Guest] = {}
        self._tasks: dict[str, Task] = {}
        self._pids = itertools.count(0x1F00)
        self._lock = threading.RLock()

    # --- topology and test helpers ---------------------------------------------------------------
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

    def _default_sleep(self, seconds: float) -> None:
        advance = getattr(self.clock, "advance", None)
        if callable(advance):
            advance(seconds)
        else:
            time.sleep(seconds)

    # --- internals for the operations ------------------------------------------------------------
    def _enter(self, operation: str, node: str, vmid: int) -> None:
        """Log the call, fire an immediate fault, check the node; the caller holds the lock."""
        self.call_log.append((operation, vmid))
        self._settle()
        fault = self._faults.take(operation, immediate=True)
        if fault is not None:
            raise fault.error or ExternalFailure(fault.message, operation=operation, vmid=vmid)
        self._node(node, usable=True)

    def _operable(self, operation: str, node: str, vmid: int, *, check_lock: bool = True) -> Guest:
        self._enter(operation, node, vmid)
        guest = self._require_guest(node, vmid)
        running = self._running_task(vmid) if check_lock else None
        if running is not None:
            raise Locked(
                f"guest {vmid} is locked by a running task",
                vmid=vmid,
                node=running.ref.node,
                upid=running.ref.upid,
            )
        return guest

    def _begin(
        self,
        operation: str,
        node: str,
        guest: Guest,
        effect: Callable[[], Any],
        *,
        duration: str | None = None,
        failure: str | None = None,
        creates: Guest | None = None,
    ) -> TaskRef:
        fault = self._faults.take(operation, immediate=False)
        if fault is not None:
            failure = fault.message
        now = self.clock.now()
        pid = next(self._pids)
        ref = TaskRef(
            node,
            upid(node, pid, pid * 7 + 0x100000, now, task_type(operation, guest.kind), guest.vmid),
        )
        ends_at = now + dt.timedelta(seconds=self.durations[duration or operation])
        self._tasks[ref.upid] = Task(ref, operation, guest.vmid, ends_at, failure, effect, creates)
        self._settle()  # a task of no duration is over at once
        return ref

    def _settle(self) -> None:
        now = self.clock.now()
        due = sorted(
            (t for t in self._tasks.values() if not t.settled and t.ends_at <= now),
            key=lambda t: t.ends_at,
        )
        for task in due:
            task.settled = True
            if task.failure is None and task.effect is not None:
                task.effect()

    def _busy(self, vmid: int) -> bool:
        return self._running_task(vmid) is not None

    def _running_task(self, vmid: int) -> Task | None:
        return next((t for t in self._tasks.values() if not t.settled and t.vmid == vmid), None)

    def _pending_creates(self) -> list[Task]:
        return [t for t in self._tasks.values() if not t.settled and t.creates is not None]

    def _node(self, name: str, *, usable: bool = False) -> Node:
        node = self._nodes.get(name)
        if node is None:
            raise NotFound("node", name)
        if usable and not node.online:
            raise Unavailable(f"node {name} is offline", node=name)
        return node

    def _require_guest(self, node: str | None, vmid: int) -> Guest:
        self._settle()
        guest = self._guests.get(vmid)
        if guest is None or (node is not None and guest.node != node):
            raise NotFound("guest", vmid)
        if node is not None:
            self._node(node, usable=True)
        return guest

    def _load(self, node: Node) -> NodeLoad:
        members = [g for g in self._guests.values() if g.node == node.name and not g.template]
        members += [
            t.creates for t in self._pending_creates() if t.creates and t.creates.node == node.name
        ]
        return NodeLoad(
            name=node.name,
            online=node.online,
            cores=node.cores,
            memory_mib=node.memory_mib,
            disk_gib=node.disk_gib,
            used_cores=sum(g.cores for g in members),
            used_memory_mib=sum(g.memory_mib for g in members),
            used_disk_gib=sum(g.disk_gib for g in members),
        )
