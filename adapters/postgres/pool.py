"""The connection pool: psycopg_pool, created closed and opened in the process that uses it.

A pool runs background threads and holds sockets, neither of which survives a fork: under gunicorn
it is opened in each worker after the fork (a `post_fork` hook, or lazily in the worker), never in
the master with `--preload`. Its ceiling is the worker's threads (one request thread never needs
more than one connection); its floor is small, because every process of every machine holds its
floor for ever while idle and PostgreSQL's max_connections is shared by all of them. The pool grows
towards the ceiling while requests wait and shrinks back after `max_idle` (README "Connections").
"""

from __future__ import annotations

import os
import re
import socket
import time
import uuid
import weakref
from typing import Any

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


class RecentUse:
    """The pool's check on lending a connection, made only for a connection idle long enough to
    have been lost meanwhile (a restarted server, a dropped socket): one that came back moments
    ago is lent as it is. Checking every loan costs a round trip per unit of work, as many as a
    read's own statement; a connection lost within the window fails its unit of work with 503
    and Retry-After (Unavailable), and the pool replaces it."""

    def __init__(self, window_seconds: float) -> None:
        self.window = window_seconds
        self._returned: weakref.WeakKeyDictionary[psycopg.Connection, float] = (
            weakref.WeakKeyDictionary()
        )

    def returned(self, conn: psycopg.Connection) -> None:
        """The connection is back in the pool, idle."""
        self._returned[conn] = time.monotonic()

    def check(self, conn: psycopg.Connection) -> None:
        returned = self._returned.get(conn)
        if returned is None or time.monotonic() - returned >= self.window:
            ConnectionPool.check_connection(conn)


class CheckedPool(ConnectionPool):  # type: ignore[type-arg]
    """A pool whose check skips connections back moments ago (`RecentUse`). The time a connection
    comes back is noted here rather than in a `reset` callback: with one, psycopg_pool hands every
    returned connection to its worker thread, a thread switch per unit of work."""

    def __init__(self, *args: Any, recent: RecentUse, **kwargs: Any) -> None:
        super().__init__(*args, check=recent.check, **kwargs)
        self.recent = recent

    def putconn(self, conn: psycopg.Connection) -> None:
        self.recent.returned(conn)
        super().putconn(conn)


# A connection that came back to the pool within this many seconds is lent again unchecked.
UNCHECKED_SECONDS = 1.0

# How long a request waits for a connection: a pool that has none to give within this is a
# database that is down, full or swamped, and the request is better answered 503 at once than
# after a long wait (the client retries after Retry-After, DATABASE_RETRY_AFTER below).
CONNECTION_WAIT_SECONDS = 2.0
DATABASE_RETRY_AFTER = 2  # seconds; the pool reconnects in the background meanwhile


def make_pool(
    conninfo: str,
    *,
    size: int,
    min_size: int = 1,
    timeout: float = CONNECTION_WAIT_SECONDS,
    name: str = "hostprovider",
) -> ConnectionPool:
    """A closed pool of `min_size` to `size` connections; call `open_pool` in the process that
    uses it.

    Its connections carry the process's `holder_name()` as their application_name, which is how
    another process tells whether this one is still connected (see the idempotency store)."""
    if size < 1:
        raise ValueError("a pool needs at least one connection")
    return CheckedPool(
        conninfo,
        kwargs={"application_name": holder_name()},
        min_size=min(min_size, size),
        max_size=size,
        open=False,
        timeout=timeout,
        max_waiting=size * 8,
        max_lifetime=3600,
        max_idle=600,
        recent=RecentUse(UNCHECKED_SECONDS),
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


def open_in_background(pool: ConnectionPool) -> ConnectionPool:
    """Open the pool without waiting for the database: for a process that must come up whether or
    not the database answers (an API worker), and answers 503 until it does. The pool keeps
    trying to connect, with its own backoff."""
    pool.open(wait=False)
    return pool


def _new_holder() -> str:
    # The process's role first (PGAPPNAME, which the CLI sets to hostprovider-serve and so on),
    # then what makes it this one process.
    role = (os.environ.get("PGAPPNAME") or "hostprovider").split()[0][:24]
    return f"{role} {socket.gethostname()[:20]} {os.getpid()} {uuid.uuid4().hex[:12]}"


_HOLDER, _HOLDER_PID = _new_holder(), os.getpid()


def holder_name() -> str:
    """This process's name on its database connections (`ROLE HOST PID NONCE`): unique
    per process (a forked child gets its own; the nonce tells apart a pid used again), readable
    in pg_stat_activity, at most 63 bytes as PostgreSQL keeps them."""
    global _HOLDER, _HOLDER_PID
    if os.getpid() != _HOLDER_PID:
        _HOLDER, _HOLDER_PID = _new_holder(), os.getpid()
    return _HOLDER
