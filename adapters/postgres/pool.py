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
import uuid

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
    return ConnectionPool(
        conninfo,
        kwargs={"application_name": holder_name()},
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

