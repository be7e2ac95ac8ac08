"""An in-process job queue: deferred jobs run on the calling thread, in order, one per lock.

With `auto_run=True` a job runs as soon as it is handed over (after the commit of the unit of work
that deferred it and after the store's lock is released). A job deferred while another job runs on
the same thread waits for it and runs next in the same drain loop, so jobs never nest. With
`auto_run=False` jobs wait until `run_pending()`.

A job that raises is recorded in `failed` and the others still run: like a real worker, the failure
never reaches whoever deferred the job.
"""

from __future__ import annotations

import collections
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import attrs

from ports.messaging import JobQueue

log = logging.getLogger(__name__)

Dispatch = Callable[[str, dict[str, Any]], None]


@attrs.frozen
class Job:
    task: str
    args: dict[str, Any] = attrs.field(factory=dict, hash=False)
    lock: str | None = None


@attrs.frozen
class FailedJob:
    job: Job
    exception: Exception

    @property
    def task(self) -> str:
        return self.job.task

    @property
    def args(self) -> dict[str, Any]:
        return self.job.args

    def __iter__(self) -> Iterator[Any]:
        """Unpacks as (task, args, exception)."""
        return iter((self.job.task, self.job.args, self.exception))


class InlineJobQueue:
    def __init__(self, dispatch: Dispatch | None = None, *, auto_run: bool = True) -> None:
        self._dispatch = dispatch
        self.auto_run = auto_run
        self._queue: collections.deque[Job] = collections.deque()
        self._mutex = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._local = threading.local()
        self._done: list[Job] = []
        self._failed: list[FailedJob] = []

    def bind(self, dispatch: Dispatch) -> None:
        """Set the dispatcher once the use cases exist (the composition root builds the queue
        first)."""
        self._dispatch = dispatch

    # --- the JobQueue port -----------------------------------------------------------------------
    def defer(self, task: str, *, lock: str | None = None, **args: Any) -> None:
        self.submit([Job(task, dict(args), lock)])

    def submit(self, jobs: Iterable[Job]) -> None:
        with self._mutex:
            self._queue.extend(jobs)
        if self.auto_run and self._dispatch is not None:
            self._drain()

    # --- for tests and the sandbox ---------------------------------------------------------------
    def run_pending(self) -> int:
        """Run every waiting job, including those deferred meanwhile; how many ran."""
        if self._dispatch is None:
            raise RuntimeError("the job queue has no dispatcher: call bind() first")
        return self._drain()

    @property
    def pending(self) -> list[Job]:
        with self._mutex:
            return list(self._queue)

    @property
    def done(self) -> list[Job]:
        with self._mutex:
            return list(self._done)

    @property
    def failed(self) -> list[FailedJob]:
        with self._mutex:
            return list(self._failed)

    def clear(self) -> None:
        with self._mutex:
            self._queue.clear()
            self._done.clear()
            self._failed.clear()

    # --- running ---------------------------------------------------------------------------------
    def _drain(self) -> int:
        if getattr(self._local, "draining", False):
            return 0  # the loop already running on this thread picks the new job up
        self._local.draining = True
        ran = 0
        try:
            while True:
                with self._mutex:
                    if not self._queue:
                        return ran
                    job = self._queue.popleft()
                self._run(job)
                ran += 1
        finally:
            self._local.draining = False

    def _run(self, job: Job) -> None:
        dispatch = self._dispatch
        assert dispatch is not None
        guard = self._lock_for(job.lock)
        try:
            if guard is None:
                dispatch(job.task, dict(job.args))
            else:
                with guard:
                    dispatch(job.task, dict(job.args))
        except Exception as ex:  # a worker survives its jobs
            log.warning("job %s failed: %r", job.task, ex)
            with self._mutex:
                self._failed.append(FailedJob(job, ex))
        else:
            with self._mutex:
                self._done.append(job)

    def _lock_for(self, name: str | None) -> threading.Lock | None:
        if name is None:
            return None
        with self._mutex:
            return self._locks.setdefault(name, threading.Lock())


def submit_jobs(queue: JobQueue, jobs: list[Job]) -> None:
    """Hand committed jobs to any JobQueue; the inline queue takes them as one batch."""
    if isinstance(queue, InlineJobQueue):
        queue.submit(jobs)
        return
    for job in jobs:
        queue.defer(job.task, lock=job.lock, **job.args)
