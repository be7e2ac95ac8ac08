"""Named locks across processes and machines: PostgreSQL session advisory locks.

A holder takes a connection of the pool for as long as it holds (and waits) and locks
`pg_advisory_lock(NAMESPACE, hashtext(name))` on it; the lock belongs to that session, not to a
transaction, so the short transactions around it end at once and the connection sits idle, not
"idle in transaction", while the work runs. The wait is cut short by `lock_timeout`, which applies
to advisory locks like any other heavyweight lock.

Two names whose hashes collide share one lock: more waiting, never less exclusion. If the
connection dies while held, the server frees the lock with the session: whatever a holder guards
must stay safe without it (the firewall does, by its own config lock and our natural keys).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import psycopg
from psycopg import errors
from psycopg_pool import ConnectionPool, PoolTimeout

from domain.model.errors import Unavailable

log = logging.getLogger(__name__)

# The first key of the two-key form, whose key space is apart from the one-bigint form (the
# seeding lock of adapters/postgres/pool.py, procrastinate's own): our names cannot meet those.
NAMESPACE = 0x48505243  # "HPRC"


class PostgresLocks:
    def __init__(self, pool: ConnectionPool, *, timeout: float = 180.0) -> None:
        if timeout <= 0:
            raise ValueError("a lock timeout must be positive (0 would mean wait for ever)")
        self._pool = pool
        self._timeout = timeout

    @contextlib.contextmanager
    def hold(self, name: str) -> Iterator[None]:
        with contextlib.ExitStack() as stack:
            try:
                conn = stack.enter_context(self._pool.connection(timeout=self._timeout))
            except PoolTimeout:
                raise Unavailable(
                    "no database connection is free to take a lock", lock=name
                ) from None
            self._lock(conn, name)
            try:
                yield
            finally:
                self._unlock(conn, name)

    def _lock(self, conn: psycopg.Connection, name: str) -> None:
        wait_ms = max(1, round(self._timeout * 1000))
        try:
            with conn.transaction():
                conn.execute("SELECT set_config('lock_timeout', %s, true)", (f"{wait_ms}ms",))
                conn.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", (NAMESPACE, name))
        except errors.LockNotAvailable:
            raise Unavailable(f"the lock {name} is busy", lock=name) from None
        except psycopg.OperationalError as ex:
            conn.close()  # whether the lock was taken before the failure is unknown: end it
            # The database's words (its address among them) go to the log, not to a client.
            log.warning("taking the lock %s failed: %s", name, ex)
            raise Unavailable(f"the database could not take the lock {name}", lock=name) from ex

    def _unlock(self, conn: psycopg.Connection, name: str) -> None:
        """Never raises: the block's own outcome matters more. A lock that cannot be released
        goes with its session, which closing the connection ends (the pool drops it)."""
        try:
            with conn.transaction():
                row = conn.execute(
                    "SELECT pg_advisory_unlock(%s, hashtext(%s))", (NAMESPACE, name)
                ).fetchone()
        except psycopg.Error as ex:
            log.warning("releasing the lock %s failed (%s): closing its connection", name, ex)
            conn.close()
            return
        if not (row and row[0]):
            log.warning("the lock %s was not held any more when released", name)
