"""What an in-memory repository sees of its unit of work: named tables, read or written inside the
unit of work, and id sequences. The repositories depend on this and nothing else of the store, as
the PostgreSQL ones depend only on their `Db`; the store (store.py) builds them, never the other
way round."""

from __future__ import annotations

from typing import Any, Protocol


class Tables(Protocol):
    def read(self, table: str) -> Any:
        """The table as it stands in this unit of work, for reading only."""
        ...

    def write(self, table: str) -> Any:
        """The table, to change in place: the unit of work saved a copy to roll back to."""
        ...

    def next_id(self, sequence: str) -> int:
        """An id never handed out before, even across rollbacks."""
        ...

    def saw_id(self, sequence: str, used: int) -> None:
        """An id stored without `next_id`: `next_id` never returns it."""
        ...
