"""Attempt counters in PostgreSQL, one row per key, shared by every API worker.

Each call is its own short transaction on a pooled connection, apart from any unit of work: a
failed login must be counted although its request ends in an error. `hit` is one
`INSERT ... ON CONFLICT DO UPDATE ... RETURNING`, which PostgreSQL runs atomically per row, so
concurrent hits from any number of processes are all counted and a closed window is reopened once.
"""

from __future__ import annotations

import datetime as dt

from psycopg_pool import ConnectionPool

from adapters.postgres.session import translated
from ports.throttle import Window

_HIT = """
INSERT INTO throttle_counters AS c (key, hits, resets_at) VALUES (%(key)s, 1, %(ends)s)
ON CONFLICT (key) DO UPDATE SET
    hits = CASE WHEN c.resets_at <= %(now)s THEN 1 ELSE c.hits + 1 END,
    resets_at = CASE WHEN c.resets_at <= %(now)s THEN EXCLUDED.resets_at ELSE c.resets_at END
RETURNING hits, resets_at
"""


class PostgresCounters:
    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool

    def hit(self, key: str, window: dt.timedelta, now: dt.datetime) -> Window:
        with translated(), self._pool.connection() as conn:
            row = conn.execute(_HIT, {"key": key, "now": now, "ends": now + window}).fetchone()
        assert row is not None
        return Window(int(row[0]), row[1])

    def peek(self, key: str, now: dt.datetime) -> Window:
        with translated(), self._pool.connection() as conn:
            row = conn.execute(
                "SELECT hits, resets_at FROM throttle_counters WHERE key = %s AND resets_at > %s",
                (key, now),
            ).fetchone()
        return Window(int(row[0]), row[1]) if row else Window(0, now)

    def forget(self, key: str) -> None:
        with translated(), self._pool.connection() as conn:
            conn.execute("DELETE FROM throttle_counters WHERE key = %s", (key,))

    def purge(self, now: dt.datetime) -> int:
        with translated(), self._pool.connection() as conn:
            return conn.execute(
                "DELETE FROM throttle_counters WHERE resets_at <= %s", (now,)
            ).rowcount
