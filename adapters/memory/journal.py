"""What a memory unit of work changed in a table, to undo on rollback: linear in the changes.

The store's tables are changed in place (a unit of work holds the store's lock for its whole life,
so nobody sees them half-way). `write(table)` hands out a journaled view of the table: a dict
remembers, for each key, its value before the first change in this unit of work; a list, how long
it was, since it is appended to (the ledger, the audit log), and a copy of its first part only
when an entry is removed or replaced. Copying a whole table on its first write, as the store did,
made N single-server units of work over N servers cost N² (a billing run, a monitoring pass).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

_MISSING = object()


class DictChanges:
    def __init__(self, table: dict[Any, Any]) -> None:
        self.table = table
        self.before: dict[Any, Any] = {}  # key -> value before this unit of work, or _MISSING

    def undo(self) -> None:
        for key, old in self.before.items():
            if old is _MISSING:
                self.table.pop(key, None)
            else:
                self.table[key] = old

    def view(self) -> JournaledDict:
        return JournaledDict(self)


class JournaledDict:
    """The table as a dict, each change noted first."""

    __slots__ = ("_before", "_table")

    def __init__(self, changes: DictChanges) -> None:
        self._table, self._before = changes.table, changes.before

    def _note(self, key: Any) -> None:
        if key not in self._before:
            self._before[key] = self._table.get(key, _MISSING)

    def __setitem__(self, key: Any, value: Any) -> None:
        self._note(key)
        self._table[key] = value

    def __delitem__(self, key: Any) -> None:
        self._note(key)
        del self._table[key]

    def pop(self, key: Any, *default: Any) -> Any:
        self._note(key)
        return self._table.pop(key, *default)

    def setdefault(self, key: Any, default: Any = None) -> Any:
        self._note(key)
        return self._table.setdefault(key, default)

    def update(self, other: Mapping[Any, Any] | Iterable[tuple[Any, Any]]) -> None:
        for key, value in dict(other).items():
            self[key] = value

    def __getitem__(self, key: Any) -> Any:
        return self._table[key]

    def get(self, key: Any, default: Any = None) -> Any:
        return self._table.get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self._table

    def __iter__(self) -> Iterator[Any]:
        return iter(self._table)

    def __len__(self) -> int:
        return len(self._table)

    def keys(self) -> Any:
        return self._table.keys()

    def values(self) -> Any:
        return self._table.values()

    def items(self) -> Any:
        return self._table.items()


class ListChanges:
    def __init__(self, table: list[Any]) -> None:
        self.table = table
        self.length = len(table)  # what this unit of work found; appends go after it
        self.original: list[Any] | None = None  # taken at the first change that is not an append

    def undo(self) -> None:
        if self.original is not None:
            self.table[:] = self.original
        else:
            del self.table[self.length :]

    def view(self) -> JournaledList:
        return JournaledList(self)


class JournaledList:
    """The table as a list: appends are cheap to undo, anything else keeps the original first."""

    __slots__ = ("_changes", "_table")

    def __init__(self, changes: ListChanges) -> None:
        self._changes, self._table = changes, changes.table

    def _keep_original(self) -> None:
        if self._changes.original is None:
            # Only appends happened before: what the unit of work found is the first part.
            self._changes.original = self._table[: self._changes.length]

    def append(self, item: Any) -> None:
        self._table.append(item)

    def extend(self, items: Iterable[Any]) -> None:
        self._table.extend(items)

    def __setitem__(self, index: Any, value: Any) -> None:
        self._keep_original()
        self._table[index] = value

    def __delitem__(self, index: Any) -> None:
        self._keep_original()
        del self._table[index]

    def pop(self, index: int = -1) -> Any:
        self._keep_original()
        return self._table.pop(index)

    def insert(self, index: int, item: Any) -> None:
        self._keep_original()
        self._table.insert(index, item)

    def remove(self, item: Any) -> None:
        self._keep_original()
        self._table.remove(item)

    def __getitem__(self, index: Any) -> Any:
        return self._table[index]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._table)

    def __len__(self) -> int:
        return len(self._table)

    def __contains__(self, item: object) -> bool:
        return item in self._table

    def index(self, item: Any) -> int:
        return self._table.index(item)
