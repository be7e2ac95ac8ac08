"""The connection pool: psycopg_pool, created closed and opened in the process that uses it.

A pool runs background threads and holds sockets, neither of which survives a fork: under gunicorn
it is opened in each worker after the fork (a `post_fork` hook, or lazily in the worker), never in
the master with `--preload`. Its ceiling is the worker's threads (one request thread never needs
more than one connection); its floor is small, because every process of every machine holds its
floor for ever while idle and PostgreSQL's max_connections is shared by all of them. The pool grows
towards the ceiling while requests wait and shrinks back after `max_idle` (README "Connections").
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from domain.model.errors import Unavailable


def redact(conninfo: str) -> str:
    """The conninfo without its password, for messages and logs."""
    without_url_password = re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", conninfo)
    return re.sub(r"(password\s*=\s*)\S+", r"\1***", without_url_password)


def _configure(conn: psycopg.Connection) -> None:
    # Times come back in UTC whatever the server's default, and a unit of work forgotten open
    # cannot hold its locks forever.
    conn.autocommit = True
    conn.execute("SET TIME ZONE 'UTC'")
    conn.execute("SET idle_in_transaction_session_timeout = '60s'")
    conn.autocommit = False


def make_pool(
    conninfo: str,
    *,
    size: int,
    min_size: int = 1,
    timeout: float = 10.0,
    name: str = "hostprovider",
) -> ConnectionPool:
    """A closed pool of `min_size` to `size` connections; call `open_pool` in the process that
    uses it."""
    if size < 1:
        raise ValueError("a pool needs at least one connection")
    return ConnectionPool(
        conninfo,
        min_size=min(min_size, size),
        max_size=size,
        open=False,
        timeout=timeout,
        max_waiting=size * 8,
        max_lifetime=3600,
        max_idle=600,
        check=ConnectionPool.check_connection,
        configure=_configure,
        name=name,
    )


def open_pool(pool: ConnectionPool, *, wait_seconds: float = 10.0) -> ConnectionPool:
    """Open the pool and wait until its connections are up: an unreachable database fails here, at
    start-up, with where it looked, rather than on the first request."""
    where = pool.conninfo if isinstance(pool.conninfo, str) else "the configured database"
    pool.open()
    try:
        pool.wait(timeout=wait_seconds)
    except PoolTimeout:
        pool.close()
        raise Unavailable(
            f"cannot connect to PostgreSQL at {redact(where)}", setting="database"
        ) from None
    return pool


SEED_LOCK_ID = 7_310_420_918  # pg_advisory_lock key for first-start seeding


@contextlib.contextmanager
def exclusive(conninfo: str, key: int = SEED_LOCK_ID) -> Iterator[None]:
    """Hold a session advisory lock on a connection of its own (not the pool's, so a pool of one
    can still serve the work done under it): processes starting together take turns."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (key,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (key,))
