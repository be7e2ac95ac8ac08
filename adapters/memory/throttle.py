"""Attempt counters in this process's memory (the sandbox and the fast tests)."""

from __future__ import annotations

import datetime as dt
import threading

from ports.throttle import Window


class MemoryCounters:
    def __init__(self) -> None:
        self._windows: dict[str, Window] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, window: dt.timedelta, now: dt.datetime) -> Window:
        with self._lock:
            current = self._windows.get(key)
            if current is None or current.resets_at <= now:
                current = Window(1, now + window)
            else:
                current = Window(current.hits + 1, current.resets_at)
            self._windows[key] = current
            return current

    def peek(self, key: str, now: dt.datetime) -> Window:
        with self._lock:
            current = self._windows.get(key)
        if current is None or current.resets_at <= now:
            return Window(0, now)
        return current

    def forget(self, key: str) -> None:
        with self._lock:
            self._windows.pop(key, None)

    def purge(self, now: dt.datetime) -> int:
        with self._lock:
            closed = [k for k, w in self._windows.items() if w.resets_at <= now]
            for key in closed:
                del self._windows[key]
        return len(closed)
