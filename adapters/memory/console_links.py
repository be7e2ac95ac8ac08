"""One-time console links in memory, by digest."""

from __future__ import annotations

import datetime as dt

import attrs

from adapters.memory.tables import Tables
from domain.model.console import ConsoleEnd, ConsoleLink

TABLE = "console_links"


class InMemoryConsoleLinkRepository:
    def __init__(self, uow: Tables) -> None:
        self._uow = uow

    def add(self, link: ConsoleLink) -> None:
        self._uow.write(TABLE)[link.digest] = link

    def get(self, digest: str) -> ConsoleLink | None:
        found: ConsoleLink | None = self._uow.read(TABLE).get(digest)
        return found

    def open(self, digest: str, now: dt.datetime) -> ConsoleLink | None:
        # Units of work run one at a time on the store: the look and the mark are one step.
        link = self.get(digest)
        if link is None or link.state(now) != "ready":
            return None
        opened = attrs.evolve(link, opened_at=now)
        self._uow.write(TABLE)[digest] = opened
        return opened

    def end(self, digest: str, now: dt.datetime, reason: ConsoleEnd) -> None:
        link = self.get(digest)
        if link is not None and link.ended_at is None:
            self._uow.write(TABLE)[digest] = attrs.evolve(link, ended_at=now, end_reason=reason)

    def purge(self, before: dt.datetime) -> int:
        table: dict[str, ConsoleLink] = self._uow.read(TABLE)
        gone = [
            digest
            for digest, link in table.items()
            if link.expires_at < before and (link.opened_at is None or link.ended_at is not None)
        ]
        for digest in gone:
            del self._uow.write(TABLE)[digest]
        return len(gone)
