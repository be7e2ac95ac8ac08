"""Tasks as the port sees them, on top of PVE's UPIDs.

Some port operations take several PVE calls (a QEMU create is clone, then config, then a disk
resize). `TaskTracker.run` performs the steps up to the first one that starts a PVE task and
returns that task's ref; the rest of the steps hang off its UPID and are carried out by whoever
polls it (`state` or `wait`) once it ended OK. The caller thus holds one ref that is running until
the whole sequence is done and that fails with the first step that failed.

Operations made only of synchronous calls (an LXC password set over SSH) get a local task: a
well-formed UPID with pid 0 that this process answers itself, already finished.

The steps live in this process's memory: when it dies between two steps the guest is left as the
finished steps made it (the saga's retry sees the guest exists but not its size or network).
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable

import attrs

from adapters.proxmox.client import ProxmoxClient, api_path
from adapters.proxmox.task_log import TaskLog
from domain.model.errors import (
    DomainError,
    ExternalFailure,
    NotFound,
    Unavailable,
    ValidationError,
)
from ports.clock import Clock
from ports.hypervisor import TaskProgress, TaskRef, TaskState

log = logging.getLogger(__name__)

# A step does its calls and returns the PVE task it started, or None when it was synchronous.
Step = Callable[[], TaskRef | None]

_KEEP_FINISHED = 1000  # finished sequences remembered, so polling them again answers the same


@attrs.define
class _Sequence:
    current: TaskRef
    steps: list[Step]
    lock: threading.Lock = attrs.field(factory=threading.Lock)


def task_ref(upid: object) -> TaskRef:
    """The ref of a task PVE started, from the UPID it answered with."""
    text = str(upid or "")
    parts = text.split(":")
    if len(parts) < 9 or parts[0] != "UPID":
        raise ExternalFailure(f"proxmox answered {text!r} where a task id was expected")
    return TaskRef(parts[1], text)  # the node running the task is the UPID's second field


class TaskTracker:
    def __init__(
        self,
        client: ProxmoxClient,
        *,
        clock: Clock,
        sleep: Callable[[float], None],
        poll_seconds: float,
        timeout_seconds: float,
    ) -> None:
        self._client = client
        self._clock = clock
        self._sleep = sleep
        self._poll_seconds = poll_seconds
        self._timeout = dt.timedelta(seconds=timeout_seconds)
        self._sequences: dict[str, _Sequence] = {}
        self._finished: OrderedDict[str, TaskState] = OrderedDict()
        self._counter = itertools.count(1)
        self._lock = threading.Lock()
        self._log = TaskLog(client)
        # UPIDs carry the user that started the task; local ones carry ours too.
        self._user = client.connection.token_id

    def run(self, node: str, vmid: int, steps: list[Step], *, local_type: str) -> TaskRef:
        pending = list(steps)
        while pending:
            ref = pending.pop(0)()
            if ref is not None:
                if pending:
                    with self._lock:
                        self._sequences[ref.upid] = _Sequence(ref, pending)
                return ref
        return self._local(node, vmid, local_type)

    def state(self, ref: TaskRef) -> TaskState:
        with self._lock:
            finished = self._finished.get(ref.upid)
            sequence = self._sequences.get(ref.upid)
        if finished is not None:
            return finished
        if sequence is None:
            return self.pve_state(ref)
        with sequence.lock:
            return self._advance(ref, sequence)

    def progress(self, ref: TaskRef) -> int | None:
        """The percentage the task's log tells (of its first PVE task, for a sequence: the clone
        of a QEMU create); None for tasks whose log says nothing of the kind, local ones too."""
        return self._log.percent(ref)

    def wait(self, ref: TaskRef, on_progress: TaskProgress | None = None) -> TaskState:
        deadline = self._clock.now() + self._timeout
        told: int | None = None
        while True:
            state = self.state(ref)
            if state.running and on_progress is not None:
                told = self._tell_progress(ref, told, on_progress)
            if not state.running:
                if not state.ok:
                    raise ExternalFailure(
                        f"task {ref.upid} failed: {state.exit_status}",
                        upid=ref.upid,
                        exit_status=state.exit_status,
                    )
                return state
            if self._clock.now() >= deadline:
                raise Unavailable(f"task {ref.upid} did not finish in time", upid=ref.upid)
            self._sleep(self._poll_seconds)

    def _tell_progress(
        self, ref: TaskRef, told: int | None, on_progress: TaskProgress
    ) -> int | None:
        """Progress is a courtesy: a log that cannot be read now leaves it as it was, and only the
        task's status decides how the wait ends."""
        try:
            percent = self.progress(ref)
        except DomainError as error:
            log.info("task %s: its log could not be read: %s", ref.upid, error.message)
            return told
        if percent is not None and percent != told:
            on_progress(percent)
            return percent
        return told

    def pve_state(self, ref: TaskRef) -> TaskState:
        try:
            status = self._client.get(api_path("nodes", ref.node, "tasks", ref.upid, "status"))
        except ValidationError as error:  # "unable to parse worker upid" and the like
            raise NotFound("task", ref.upid) from error
        if status.get("status") == "running":
            return TaskState(True)
        return TaskState(False, str(status.get("exitstatus") or "unexpected status"))

    def _advance(self, ref: TaskRef, sequence: _Sequence) -> TaskState:
        current = self.pve_state(sequence.current)
        while current.ok and sequence.steps:
            try:
                started = sequence.steps[0]()
            except Unavailable:
                raise  # the step is tried again on the next poll
            except DomainError as error:
                return self._finish(ref, TaskState(False, error.message))
            sequence.steps.pop(0)
            if started is not None:
                sequence.current = started
                current = self.pve_state(started)
        if current.running:
            return current
        return self._finish(ref, current)

    def _finish(self, ref: TaskRef, state: TaskState) -> TaskState:
        with self._lock:
            self._sequences.pop(ref.upid, None)
            self._remember(ref.upid, state)
        return state

    def _local(self, node: str, vmid: int, task_type: str) -> TaskRef:
        epoch = int(self._clock.now().timestamp())
        serial = next(self._counter)
        upid = f"UPID:{node}:00000000:{serial:08X}:{epoch:08X}:{task_type}:{vmid}:{self._user}:"
        with self._lock:
            self._remember(upid, TaskState(False, "OK"))
        return TaskRef(node, upid)

    def _remember(self, upid: str, state: TaskState) -> None:
        self._finished[upid] = state
        while len(self._finished) > _KEEP_FINISHED:
            self._finished.popitem(last=False)
