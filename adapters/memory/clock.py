"""A clock that tests move by hand."""

from __future__ import annotations

import datetime as dt
import threading

DEFAULT_START = dt.datetime(2026, 1, 15, 10, 0, 0, tzinfo=dt.UTC)


def _utc(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("the clock keeps timezone-aware datetimes")
    return moment.astimezone(dt.UTC)


class FakeClock:
    def __init__(self, start: dt.datetime = DEFAULT_START) -> None:
        self._now = _utc(start)
        self._lock = threading.Lock()

    def now(self) -> dt.datetime:
        with self._lock:
            return self._now

    def advance(self, by: float | dt.timedelta) -> dt.datetime:
        """Move forward by seconds or a timedelta; returns the new time."""
        step = by if isinstance(by, dt.timedelta) else dt.timedelta(seconds=by)
        if step < dt.timedelta(0):
            raise ValueError("a clock does not go backwards; use set() to place it")
        with self._lock:
            self._now += step
            return self._now

    def set(self, moment: dt.datetime) -> None:
        with self._lock:
            self._now = _utc(moment)
