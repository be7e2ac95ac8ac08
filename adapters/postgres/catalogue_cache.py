"""The current catalogue, parsed once per process and version.

Every request that prices or shows something needs the catalogue, a JSONB document of a few
kilobytes; reading and structuring it each time cost more than the rest of such a request. The
cache asks the database only which row is current (its version and `xmin`, from the primary key's
index) and parses the document again only when that row changed: after a publish, or after
anyone rewrote the row by hand. A cache belongs to one unit-of-work factory, so one database.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from domain.model.catalogue import Catalogue

Stamp = tuple[int, str]  # (version, xmin of its row)


class CatalogueCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stamp: Stamp | None = None
        self._catalogue: Catalogue | None = None

    def get(self, stamp: Stamp, parse: Callable[[], Catalogue]) -> Catalogue:
        """The catalogue of the row `stamp` names: the cached one, or `parse()`d and kept."""
        with self._lock:
            if self._stamp == stamp and self._catalogue is not None:
                return self._catalogue
        catalogue = parse()  # outside the lock: a slow parse holds up no other thread's hit
        with self._lock:
            self._stamp, self._catalogue = stamp, catalogue
        return catalogue


def stamp_of(row: dict[str, Any]) -> Stamp:
    return int(row["version"]), str(row["stamp"])
