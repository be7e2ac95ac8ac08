"""The simulated cluster's state and its rules: lookups that fail the way PVE fails, both lock
layers, planned faults, and tasks that move forward on the simulator's clock.

Everything here runs under `Cluster.lock` (the HTTP handlers and the control API take it), and
every entry point calls `settle()` first so that tasks due by the clock's now have ended.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from collections.abc import Callable, Mapping
from typing import Any

from adapters.memory.faults import Fault, FaultPlan
from simulators.proxmox.console import Consoles
from simulators.proxmox.model import Guest, Node, PveError
from simulators.proxmox.tasks import DEFAULT_TASK_SECONDS, FLOCK_WAIT, Task, upid_encode

# Operations `fail_next` knows, named as the in-memory fake names them.
FAULTABLE = frozenset(
    {
        "create",
        "start",
        "shutdown",
        "stop",
        "reboot",
        "resize",
        "snapshot",
        "rollback",
        "delete_snapshot",
        "set_password",
        "destroy",
        "console",
        "reconfigure",
    }
)


class Cluster:
    def __init__(
        self,
        clock: Any,
        task_seconds: float | Mapping[str, float] | None,
        resources_lag_seconds: float,
    ) -> None:
        self.clock = clock
        self.lock = threading.RLock()
        self.nodes: dict[str, Node] = {}
        self.guests: dict[int, Guest] = {}
        self.tasks: dict[str, Task] = {}
        self.active: list[Task] = []
        self.faults = FaultPlan()
        self.consoles = Consoles()
        self.resources_lag = dt.timedelta(seconds=resources_lag_seconds)
        self.resource_view: dict[str, Any] | None = None
        self.resource_view_at: dt.datetime | None = None
        if isinstance(task_seconds, int | float):
            self.task_seconds = dict.fromkeys(DEFAULT_TASK_SECONDS, float(task_seconds))
            self.default_seconds = float(task_seconds)
        else:
            self.task_seconds = {**DEFAULT_TASK_SECONDS, **(task_seconds or {})}
            self.default_seconds = 1.0
        self._seq = itertools.count(1)
        self._pids = itertools.count(0x2A10)
        self._macs = itertools.count(1)
        self._event_time: dt.datetime | None = None

    def now(self) -> dt.datetime:
        """The clock's time, or while `settle` plays a task event, the time of that event (so a
        guest started by a task that ended 20 s ago has 20 s of uptime)."""
        return self._event_time or self.clock.now()

    # --- lookups that fail like PVE ---------------------------------------------------------------
    def reachable_node(self, name: str) -> Node:
        """The node behind `/nodes/{name}/...`: pveproxy forwards there, so an unknown name fails
        the hostname lookup and an offline node is `595 No route to host`."""
        node = self.nodes.get(name)
        if node is None:
            raise PveError(
                500,
                f"hostname lookup '{name}' failed - failed to get address info for: {name}: "
                "Name or service not known",
            )
        if not node.online:
            raise PveError(595, "No route to host")
        return node

    def guest_on(self, node: str, vmid: int, kind: str) -> Guest:
        guest = self.guests.get(vmid)
        if guest is None or guest.node != node or guest.kind != kind:
            where = "lxc" if kind == "lxc" else "qemu-server"
            missing = f"Configuration file 'nodes/{node}/{where}/{vmid}.conf' does not exist"
            raise PveError(500, missing)
        return guest

    def config_locked(self, guest: Guest, *, allow: tuple[str, ...] = ()) -> str | None:
        lock = guest.lock
        if lock is None or lock in allow:
            return None
        return f"{guest.label} is locked ({lock})"

    def flock_path(self, guest: Guest) -> str:
        if guest.kind == "lxc":
            return f"/run/lock/lxc/pve-config-{guest.vmid}.lock"
        return f"/var/lock/qemu-server/lock-{guest.vmid}.conf"

    def flock_holder(self, vmid: int) -> Task | None:
        return next((t for t in self.active if t.holds_flock and t.flock_vmid == vmid), None)

    def take_flock_now(self, guest: Guest) -> None:
        """A synchronous handler (PUT config) that finds the flock taken. PVE would wait 10 s and
        then fail; on a simulated clock the wait is skipped and only the failure remains."""
        if self.flock_holder(guest.vmid) is not None:
            raise PveError(500, f"can't lock file '{self.flock_path(guest)}' - got timeout")

    def storage_used(self, node: str, storage: str) -> int:
        return sum(
            g.disk_bytes
            for g in self.guests.values()
            if g.node == node and g.disk_storage == storage
        )

    def memory_reserved(self, node: str, *, besides: int | None = None) -> int:
        return sum(
            g.memory_mib
            for g in self.guests.values()
            if g.node == node and not g.template and g.vmid != besides
        )

    def new_mac(self) -> str:
        serial = next(self._macs)
        high, middle, low = (serial >> 16) & 0xFF, (serial >> 8) & 0xFF, serial & 0xFF
        return f"BC:24:11:{high:02X}:{middle:02X}:{low:02X}"

    # --- faults --------------------------------------------------------------------------------
    def arm(self, operation: str, fault: Fault) -> None:
        if operation not in FAULTABLE:
            raise ValueError(f"unknown operation {operation!r}; known: {sorted(FAULTABLE)}")
        self.faults.arm(operation, fault)

    def fault_at_call(self, operation: str) -> None:
        """An armed immediate fault (or a transient HTTP error) answers the call itself."""
        fault = self.faults.take(operation, immediate=True)
        if fault is not None:
            raise PveError(int(fault.extra.get("http_status", 500)), fault.message)

    def fault_in_task(self, operation: str) -> str | None:
        fault = self.faults.take(operation, immediate=False)
        return fault.message if fault is not None else None

    # --- tasks ---------------------------------------------------------------------------------
    def duration(self, kind: str) -> dt.timedelta:
        return dt.timedelta(seconds=self.task_seconds.get(kind, self.default_seconds))

    def start_task(
        self,
        node: str,
        kind: str,
        ident: str,
        user: str,
        *,
        guest: Guest | None = None,
        config_lock: str | None = None,
        check: Callable[[], str | None] | None = None,
        effect: Callable[[], None] | None = None,
        undo: Callable[[], None] | None = None,
        failure: str | None = None,
        log: tuple[str, ...] = (),
        script: list[tuple[float, str]] | None = None,
        flock: bool = True,
    ) -> Task:
        """Queue a worker; it takes the guest's flock (unless `flock` is off), runs `check`, holds
        `config_lock` in the guest's config while it runs, then applies `effect` or `undo`; `script`
        is what the worker prints as it goes (worker_logs.py)."""
        now = self.now()
        pid = next(self._pids)
        upid = upid_encode(node, pid, pid * 37 + 0x1000, int(now.timestamp()), kind, ident, user)

        def begin() -> None:
            if guest is not None and config_lock is not None:
                guest.config["lock"] = config_lock

        def release() -> None:
            if guest is not None and config_lock is not None and guest.lock == config_lock:
                del guest.config["lock"]

        def succeeded() -> None:
            release()
            if effect is not None:
                effect()

        def failed() -> None:
            release()
            if undo is not None:
                undo()

        task = Task(
            upid=upid,
            node=node,
            kind=kind,
            ident=ident,
            user=user,
            seq=next(self._seq),
            queued_at=now,
            duration=self.duration(kind),
            flock_vmid=guest.vmid if guest is not None and flock else None,
            flock_path=self.flock_path(guest) if guest is not None else "",
            check=check,
            begin=begin,
            effect=succeeded,
            undo=failed,
            failure=failure,
            next_attempt=now,
        )
        task.lines.extend(log)
        task.script = list(script or ())
        self.tasks[upid] = task
        self.active.append(task)
        self.settle()
        return task

    def settle(self) -> None:
        """Play every task event due by now, oldest first: ends before starts at the same time."""
        now = self.clock.now()
        while True:
            due: list[tuple[dt.datetime, int, int, Task]] = []
            for task in self.active:
                if task.began_at is not None and task.ends_at is not None:
                    due.append((task.ends_at, 0, task.seq, task))
                elif task.next_attempt is not None:
                    due.append((task.next_attempt, 1, task.seq, task))
            due = [d for d in due if d[0] <= now]
            if not due:
                return
            when, phase, _, task = min(due, key=lambda d: d[:3])
            self._event_time = when
            try:
                if phase == 0:
                    task.finish(when, task.failure)
                    self.active.remove(task)
                else:
                    self._attempt(task, when)
            finally:
                self._event_time = None

    def _attempt(self, task: Task, when: dt.datetime) -> None:
        holder = self.flock_holder(task.flock_vmid) if task.flock_vmid is not None else None
        if holder is not None and holder is not task:
            deadline = task.queued_at + FLOCK_WAIT
            if when >= deadline:
                task.finish(when, f"can't lock file '{task.flock_path}' - got timeout")
                self.active.remove(task)
            else:
                task.next_attempt = min(holder.ends_at or deadline, deadline)
            return
        task.next_attempt = None
        task.began_at = when
        error = task.check() if task.check is not None else None
        if error is not None:
            task.finish(when, error)
            self.active.remove(task)
            return
        if task.begin is not None:
            task.begin()
        task.ends_at = when + task.duration

    def kill(self, task: Task) -> None:
        if task.running:
            task.finish(self.now(), "interrupted by signal")
            self.active.remove(task)

    def finish_now(self, task: Task) -> None:
        """Let a task end at once (a caller that waited for it, as `background_delay` does)."""
        if task.running and task.began_at is not None:
            task.ends_at = self.now()
            self.settle()

    def node_disk_total(self, node: Node) -> int:
        return sum(s.total for s in node.storages.values() if "images" in s.content)
