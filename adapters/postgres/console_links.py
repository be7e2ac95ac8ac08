"""One-time console links in PostgreSQL. Opening is one conditional UPDATE: of any number of
concurrent openings of a link, from any processes, exactly one finds it unopened."""

from __future__ import annotations

import datetime as dt

from adapters.postgres.rows import structure
from adapters.postgres.session import Db, Row
from domain.model.console import ConsoleEnd, ConsoleLink

_COLUMNS = "digest, server_id, account_id, created_at, expires_at, opened_at, ended_at, end_reason"


def _link(row: Row) -> ConsoleLink:
    return structure(dict(row), ConsoleLink)


class PostgresConsoleLinkRepository:
    def __init__(self, db: Db) -> None:
        self._db = db

    def add(self, link: ConsoleLink) -> None:
        self._db.run(
            f"INSERT INTO console_links ({_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            (
                link.digest,
                link.server_id,
                link.account_id,
                link.created_at,
                link.expires_at,
                link.opened_at,
                link.ended_at,
                link.end_reason.value if link.end_reason else None,
            ),
        )

    def get(self, digest: str) -> ConsoleLink | None:
        row = self._db.row(f"SELECT {_COLUMNS} FROM console_links WHERE digest = %s", (digest,))
        return _link(row) if row else None

    def open(self, digest: str, now: dt.datetime) -> ConsoleLink | None:
        row = self._db.row(
            "UPDATE console_links SET opened_at = %(now)s"
            " WHERE digest = %(digest)s AND opened_at IS NULL AND expires_at > %(now)s"
            f" RETURNING {_COLUMNS}",
            {"digest": digest, "now": now},
        )
        return _link(row) if row else None

    def end(self, digest: str, now: dt.datetime, reason: ConsoleEnd) -> None:
        self._db.run(
            "UPDATE console_links SET ended_at = %s, end_reason = %s"
            " WHERE digest = %s AND opened_at IS NOT NULL AND ended_at IS NULL",
            (now, reason.value, digest),
        )

    def purge(self, before: dt.datetime) -> int:
        return self._db.run(
            "DELETE FROM console_links WHERE expires_at < %s"
            " AND (opened_at IS NULL OR ended_at IS NOT NULL)",
            (before,),
        )
