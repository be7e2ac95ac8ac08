"""Time as a port, so that billing, expiry and dunning can be tested by moving a clock."""

from __future__ import annotations

import datetime as dt
from typing import Protocol


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current instant, timezone-aware in UTC, never going backwards within a process."""
        ...
