"""Counters of attempts in fixed windows, shared by every process that uses the same store.

They back the login and registration throttles (domain/usecases/throttle.py): a counter must be
the same for every API worker, or an attacker multiplies the allowance by the worker count.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

import attrs


@attrs.frozen
class Window:
    """A counter as it stands: `hits` counted since the window opened, until `resets_at`."""

    hits: int
    resets_at: dt.datetime

    def seconds_left(self, now: dt.datetime) -> int:
        """Whole seconds until the window closes, at least 1 (for a Retry-After header)."""
        return max(1, int((self.resets_at - now).total_seconds() + 0.999))


class Counters(Protocol):
    """Promises: `hit` is atomic (N concurrent hits on one key from any processes count N); a
    window opens at the first hit after the previous one closed and lasts `window`; a closed window
    counts 0; nothing here raises for an unknown key."""

    def hit(self, key: str, window: dt.timedelta, now: dt.datetime) -> Window:
        """Count one hit on `key` and return the window with it."""
        ...

    def peek(self, key: str, now: dt.datetime) -> Window:
        """The window as it stands, without counting (hits 0 and resets_at `now` if none)."""
        ...

    def forget(self, key: str) -> None:
        """Drop the counter: the next hit opens a new window."""
        ...

    def purge(self, now: dt.datetime) -> int:
        """Drop every counter whose window has closed; how many were dropped."""
        ...
