"""Planned failures and the config write lock.

A `Fault` answers the next matching requests with an error instead of (or, with `after_commit`,
after) doing the work: 503 is the package's `MODEL_WRITE_CONFIG_LOCKED` with `Retry-After`, 502 and
504 are the HTML pages of the nginx in front of the API, status 0 closes the connection without an
answer, anything else is an envelope with the given status.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

FRONT_PROXY_PAGES = {
    502: "502 Bad Gateway",
    504: "504 Gateway Time-out",
}


@dataclass
class Fault:
    method: str  # "*" for any
    path_prefix: str
    status: int
    times: int
    retry_after: int
    message: str | None
    after_commit: bool
    response_id: str | None

    def matches(self, method: str, path: str) -> bool:
        return self.method in ("*", method) and path.startswith(self.path_prefix)


class FaultPlan:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def arm(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def take(self, method: str, path: str) -> Fault | None:
        """The first armed fault for this request, used up once."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def give_back(self, fault: Fault) -> None:
        """Re-arm a fault taken by a request that was refused before it could do its work."""
        with self._lock:
            if fault in self._faults:
                fault.times += 1
            else:
                fault.times = 1
                self._faults.insert(0, fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()


class WriteLock:
    """Held by a test (`hold`) or by an apply still running in the background. While held, every
    write answers 503 `MODEL_WRITE_CONFIG_LOCKED` (the real box retries for ~60 s first; the
    simulator answers at once so tests stay fast)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held_until: float | None = None  # monotonic deadline; inf = until released
        self._applies = 0

    def hold(self, seconds: float | None) -> None:
        with self._lock:
            self._held_until = float("inf") if seconds is None else time.monotonic() + seconds

    def release(self) -> None:
        with self._lock:
            self._held_until = None

    def apply_started(self) -> None:
        with self._lock:
            self._applies += 1

    def apply_finished(self) -> None:
        with self._lock:
            self._applies -= 1

    def held(self) -> bool:
        with self._lock:
            if self._held_until is not None and time.monotonic() >= self._held_until:
                self._held_until = None
            return self._held_until is not None or self._applies > 0
