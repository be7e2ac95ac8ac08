"""Guest operations a saga or a repair can repeat safely after a crash.

A process killed mid-way leaves the hypervisor in the middle of its work: a create or a start
task still running (the guest is Locked until it ends), or done although nobody heard the answer.
The next run must then neither fail on the lock nor on PVE's answers to a repeated request
("CT 100 already running", "VM 100 not running", a start task failing with "already running"):
it waits for the running task and looks at the guest again, which is the only truth there is.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TypeVar

from domain.model.errors import Conflict, DomainError, ExternalFailure, Locked, NotFound
from domain.usecases.runtime import Runtime
from ports.hypervisor import TaskRef

T = TypeVar("T")

IDLE_WAITS = 4  # tasks of a guest waited for, one after another, before its lock is an error


def when_idle(rt: Runtime, action: Callable[[], T]) -> T:
    """Run `action`; when the guest is busy with a task (another run's, or a crashed one's), wait
    for that task to end, whatever its outcome, and run `action` again, which looks afresh."""
    for _ in range(IDLE_WAITS):
        try:
            return action()
        except Locked as ex:
            node, upid = ex.details.get("node"), ex.details.get("upid")
            if not (isinstance(node, str) and isinstance(upid, str)):
                raise  # a lock no task of ours holds (a backup, a stale lock): not ours to wait
            with contextlib.suppress(DomainError):  # its outcome is what `action` finds next
                rt.hypervisor.wait(TaskRef(node, upid))
    return action()


def ensure_power(rt: Runtime, vmid: int, *, running: bool) -> None:
    """The guest `vmid` ends up running (or stopped), whoever started (or stopped) it; nothing when
    it is gone. A refusal is an error only if the guest is not as asked afterwards."""

    def once() -> None:
        guest = rt.hypervisor.find_guest(vmid)
        if guest is None or (guest.status == "running") == running:
            return
        act = rt.hypervisor.start if running else rt.hypervisor.stop
        try:
            rt.hypervisor.wait(act(guest.node, vmid))
        except (Conflict, ExternalFailure):  # "already running", "not running", a lost race
            again = rt.hypervisor.find_guest(vmid)
            if again is not None and (again.status == "running") != running:
                raise

    when_idle(rt, once)


def destroy_guest(rt: Runtime, node: str, vmid: int) -> bool:
    """Stop and destroy the guest; False when it was gone already (destroyed by another run)."""

    def once() -> bool:
        ensure_power(rt, vmid, running=False)
        try:
            rt.hypervisor.wait(rt.hypervisor.destroy(node, vmid))
        except NotFound:
            return False
        return True

    return when_idle(rt, once)
