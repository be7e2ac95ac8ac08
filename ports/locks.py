"""The Locks port: named mutual exclusion shared by every process that works on the same things.

`hold(name)` blocks until the caller alone holds the lock `name`, for the length of the `with`
block, and releases it however the block ends (an exception included). A wait longer than the
adapter's timeout raises `Unavailable`, so a stuck holder turns into a retryable error rather than
a hung worker. Locks are not re-entrant: holding a name twice in one thread waits for itself and
times out.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol


class Locks(Protocol):
    def hold(self, name: str) -> AbstractContextManager[None]: ...
