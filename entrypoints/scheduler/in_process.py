"""The sandbox's scheduler: a thread inside the API process that works off deferred jobs and
runs the
periodic ticks. With one process and memory stores there is nobody else to do it."""

from __future__ import annotations

import logging
import threading
import time

from adapters.memory import InlineJobQueue
from domain.model.errors import DomainError
from domain.usecases.runtime import Runtime
from entrypoints.scheduler.ticks import TICKS, Tick

log = logging.getLogger("hostprovider.scheduler")


class InProcessScheduler:
    def __init__(
        self,
        runtime: Runtime,
        jobs: InlineJobQueue,
        *,
        poll_seconds: float = 0.1,
        ticks: tuple[Tick, ...] = TICKS,
    ) -> None:
        self.runtime, self.jobs, self.poll, self.ticks = runtime, jobs, poll_seconds, ticks
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="sandbox-scheduler", daemon=True)
        self._next = {tick.name: time.monotonic() + tick.every_seconds for tick in ticks}

    def start(self) -> InProcessScheduler:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.jobs.run_pending()
            now = time.monotonic()
            for tick in self.ticks:
                if now >= self._next[tick.name]:
                    self._next[tick.name] = now + tick.every_seconds
                    try:
                        tick(self.runtime)
                    except DomainError as ex:  # a tick that fails is retried at its next turn
                        log.error("%s failed: %s", tick.name, ex.message)
            self._stop.wait(self.poll)
