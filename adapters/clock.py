"""The real clock: UTC, never backwards within the process even if the system clock steps back."""

from __future__ import annotations

import datetime as dt
import threading


class SystemClock:
    def __init__(self) -> None:
        self._last = dt.datetime.min.replace(tzinfo=dt.UTC)
        self._lock = threading.Lock()

    def now(self) -> dt.datetime:
        current = dt.datetime.now(dt.UTC)
        with self._lock:
            if current > self._last:
                self._last = current
            return self._last
