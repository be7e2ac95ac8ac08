"""One table of an operator's document (TOML, or the same shape in JSON), read key by key: what
is wrong is noted with its place (`[[images]] #4 (Windows Server 2022) template: ...`), never
raised, so that a document is refused with every problem at once (catalogue_document.py)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any, TypeVar

from domain.model.errors import ValidationError
from domain.model.money import Money

T = TypeVar("T")
Document = dict[str, Any]

MAX_INT = 2_147_483_647  # what the database's integer columns (ids, sizes) hold
MAX_TEXT = 255


class Table:
    """One table of the document, read key by key; what is wrong is noted, never raised."""

    def __init__(self, problems: list[str], place: str, data: Any, sep: str = " ") -> None:
        self.problems = problems
        self.place = place
        self.sep = sep  # between the place and a key: "[[images]] #1 name", "[limits] cores.min"
        self.ok = isinstance(data, dict)
        self.data: dict[str, Any] = data if isinstance(data, dict) else {}
        if not self.ok:
            self.note("", "must be a table")

    def note(self, key: str, problem: str) -> None:
        where = f"{self.place}{self.sep}{key}".strip() if key else self.place
        self.problems.append(f"{where}: {problem}")

    def only(self, allowed: set[str]) -> None:
        for key in sorted(set(self.data) - allowed):
            self.note(key, "is not a known key")

    def _get(self, key: str, kind: type[T], what: str, default: T | None) -> T | None:
        if key not in self.data:
            if default is None:
                self.note(key, "is missing")
            return default
        value = self.data[key]
        if type(value) is not kind:  # a bool is no integer here, a float no money
            self.note(key, f"must be {what}")
            return None
        return value

    def text(
        self, key: str, default: str | None = None, pattern: re.Pattern[str] | None = None
    ) -> str:
        value = self._get(key, str, "a string", default)
        if value is None:
            return ""
        if not value.strip():
            self.note(key, "must not be empty")
        elif len(value) > MAX_TEXT:
            self.note(key, f"must be at most {MAX_TEXT} characters")
        elif any(unicodedata.category(c) == "Cc" for c in value):
            self.note(key, "must not hold control characters")
        elif pattern is not None and not pattern.match(value):
            self.note(key, f"must match {pattern.pattern}")
        return value

    def integer(self, key: str, minimum: int = 1) -> int:
        value = self._get(key, int, "an integer", None)
        if value is None:
            return 0
        if not minimum <= value <= MAX_INT:
            self.note(key, f"must be within {minimum}..{MAX_INT}")
        return value

    def flag(self, key: str) -> bool:
        return bool(self._get(key, bool, "true or false", None))

    def money(self, key: str, currency: str, default: str | None = None) -> Money:
        raw = self.data.get(key, default)
        if raw is None:
            self.note(key, "is missing")
            return Money.zero(currency)
        try:
            amount = Money.parse(raw, currency, field=key)
        except ValidationError as ex:
            self.note(key, ex.message.removeprefix(f"{key} ") + " (money is never a float)")
            return Money.zero(currency)
        if amount.micro < 0:
            self.note(key, "must not be negative")
        return amount

    def choice(self, key: str, options: tuple[str, ...]) -> str:
        value = self._get(key, str, "a string", None)
        if value is not None and value not in options:
            self.note(key, f"must be one of {', '.join(options)}")
            return ""
        return value or ""

    def table(self, key: str, *, required: bool = True, label: str = "") -> Table | None:
        if key not in self.data:
            if required:
                self.note(label or key, "is missing")
            return None
        place = f"{self.place}{self.sep}{label or key}".strip()
        return Table(self.problems, place, self.data[key], sep=" " if label else ".")

    def entries(
        self, key: str, label: Callable[[dict[str, Any]], str], *, needed: bool = True
    ) -> list[Table]:
        value = self.data.get(key)
        if key in self.data and not isinstance(value, list):
            self.note(f"[[{key}]]", "must be an array of tables")
            return []
        if not value:
            if needed:
                self.note(f"[[{key}]]", "at least one is needed")
            return []
        tables = []
        for n, item in enumerate(value, start=1):
            name = label(item) if isinstance(item, dict) else ""
            tables.append(Table(self.problems, f"[[{key}]] #{n}{name}", item))
        return tables


def label(key: str) -> Callable[[dict[str, Any]], str]:
    def label(item: dict[str, Any]) -> str:
        value = item.get(key)
        if not isinstance(value, str) or not value:
            return ""
        # Shown on a terminal: a control character is written out, never sent as itself.
        shown = "".join(
            f"\\x{ord(c):02x}" if unicodedata.category(c) == "Cc" else c for c in value[:60]
        )
        return f" ({shown})"

    return label


def unique(tables: list[Table], values: list[T], key: str) -> None:
    seen: set[T] = set()
    for table, value in zip(tables, values, strict=True):
        if value in seen:
            table.note(key, f"{value!r} is used by another entry")
        seen.add(value)
