"""The engine behind the fake hypervisor: nodes, guests and tasks on a clock.

A change is a task that lasts its operation's duration on the clock; its effect is applied when it
ends OK. A guest with a running task is locked; a guest being created reserves its vmid and its
room meanwhile. Room on a node is the domain's placement rule (`placement.fits`, with the
overcommit placement uses), so the sandbox takes exactly the orders production would.
FakeHypervisor (hypervisor.py) puts the Hypervisor port on top; hypervisor_controls.py adds what
tests use to shape the cluster.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import time
from collections.abc import Callable
from typing import Any

from adapters.memory.clock import FakeClock
from adapters.memory.faults import FaultPlan
from adapters.memory.hypervisor_state import (
    DEFAULT_DURATIONS,
    REPORTS_PROGRESS,
    Guest,
    Node,
    Task,
    task_type,
    upid,
)
from domain.model.catalogue import ServerConfig, disk_can_become
from domain.model.errors import (
    CapacityExhausted,
    ExternalFailure,
    Locked,
    NotFound,
    Unavailable,
    ValidationError,
)
from domain.model.placement import NodeLoad, Overcommit, fits, growth
from ports.clock import Clock
from ports.hypervisor import TaskProgress, TaskRef, TaskState

# A wait that is told the progress looks in this many times over the task's duration.
PROGRESS_LOOKS = 10


class SimulatedCluster:
    def __init__(
        self,
        clock: Clock | None = None,
        *,
        sleep: Callable[[float], None] | None = None,
        durations: dict[str, float] | None = None,
        console_host: str = "pve.example.net",
        overcommit: Overcommit | None = None,
    ) -> None:
        self.clock: Clock = clock if clock is not None else FakeClock()
        self._sleep = sleep if sleep is not None else self._default_sleep
        self.durations: dict[str, float] = {**DEFAULT_DURATIONS, **(durations or {})}
        self.console_host = console_host
        self.overcommit = overcommit or Overcommit()
        self.call_log: list[tuple[str, int]] = []
        self._faults = FaultPlan()
        self._nodes: dict[str, Node] = {}
        self._guests: dict[int, Guest] = {}
        self._tasks: dict[str, Task] = {}
        self._pids = itertools.count(0x1F00)
        self._lock = threading.RLock()

    # --- tasks -----------------------------------------------------------------------------------
    def task(self, ref: TaskRef) -> TaskState:
        with self._lock:
            self._settle()
            task = self._tasks.get(ref.upid)
            if task is None or task.ref.node != ref.node:
                raise NotFound("task", ref.upid)
            return TaskState(True) if not task.settled else TaskState(False, task.exit_status)

    def progress(self, ref: TaskRef) -> int | None:
        with self._lock:
            self._settle()
            task = self._tasks.get(ref.upid)
            if task is None or task.ref.node != ref.node:
                raise NotFound("task", ref.upid)
            if task.operation not in REPORTS_PROGRESS or task.started_at is None:
                return None
            if task.settled or task.ends_at <= task.started_at:
                return 100 if task.failure is None else None
            elapsed = self.clock.now() - task.started_at
            return min(99, int(100 * elapsed / (task.ends_at - task.started_at)))

    def wait(self, ref: TaskRef, on_progress: TaskProgress | None = None) -> TaskState:
        told: int | None = None
        for _ in range(100_000):
            state = self.task(ref)
            if state.running and on_progress is not None:
                percent = self.progress(ref)
                if percent is not None and percent != told:
                    on_progress(percent)
                    told = percent
            if not state.running:
                if not state.ok:
                    raise ExternalFailure(
                        f"task {ref.upid} failed: {state.exit_status}",
                        upid=ref.upid,
                        exit_status=state.exit_status,
                    )
                return state
            with self._lock:
                task = self._tasks[ref.upid]
                remaining = (task.ends_at - self.clock.now()).total_seconds()
                if told is not None and task.started_at is not None:
                    look = (task.ends_at - task.started_at).total_seconds() / PROGRESS_LOOKS
                    remaining = min(remaining, look)
            self._sleep(max(remaining, 0.001))
        raise Unavailable(f"task {ref.upid} did not finish", upid=ref.upid)

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
        self._tasks[ref.upid] = Task(
            ref, operation, guest.vmid, ends_at, failure, effect, creates, started_at=now
        )
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

    def _ensure_room(self, node: str, size: ServerConfig) -> None:
        if not fits(self._load(self._nodes[node]), size, self.overcommit):
            raise CapacityExhausted(f"node {node} has no room for the guest", node=node)

    def _ensure_growth(self, guest: Guest, wanted: ServerConfig) -> None:
        """The guest may become `wanted`: its disk does not shrink, its node has room for what
        grows (the guest's own share is already in the node's load)."""
        if not disk_can_become(guest.disk_gib, wanted.disk_gib):
            raise ValidationError(
                "disk", f"cannot shrink from {guest.disk_gib} GiB to {wanted.disk_gib} GiB"
            )
        added = growth(guest.info().size, wanted)
        if added is not None and not fits(
            self._load(self._nodes[guest.node]), added, self.overcommit
        ):
            raise CapacityExhausted(
                f"node {guest.node} has no room to grow the guest", node=guest.node
            )
