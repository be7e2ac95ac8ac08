"""Named locks for the threads of one process (the sandbox, tests, a deployment without a
database): one `threading.Lock` per name, made on first use and kept."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from domain.model.errors import Unavailable


class MemoryLocks:
    def __init__(self, *, timeout: float = 180.0) -> None:
        self._timeout = timeout
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def with_timeout(self, timeout: float) -> MemoryLocks:
        """The same locks, waited for up to `timeout` seconds."""
        other = MemoryLocks(timeout=timeout)
        other._locks, other._guard = self._locks, self._guard
        return other

    @contextlib.contextmanager
    def hold(self, name: str) -> Iterator[None]:
        with self._guard:
            lock = self._locks.setdefault(name, threading.Lock())
        if not lock.acquire(timeout=self._timeout):
            raise Unavailable(f"the lock {name} is busy", lock=name)
        try:
            yield
        finally:
            lock.release()
