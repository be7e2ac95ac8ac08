"""A throwaway PostgreSQL database for the contract suites.

The server comes from HOSTPROVIDER_TEST_DATABASE_URL, else the local one on 127.0.0.1:5432. The
session creates `hostprovider_test_<random>`, migrates it and drops it at the end; each test starts
from empty tables. Tables are truncated without RESTART IDENTITY: sequences only ever go forward,
as they do in production. With no server there the PostgreSQL params are skipped, unless CI is set:
then the run fails, so a CI without its database can never pass by skipping.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator

import attrs
import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg_pool import ConnectionPool

from adapters.postgres.migrate import migrate
from adapters.postgres.pool import make_pool, open_pool, redact

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
POOL_SIZE = 8


def server_url() -> str:
    return os.environ.get("HOSTPROVIDER_TEST_DATABASE_URL") or DEFAULT_SERVER


def admin_connection() -> psycopg.Connection:
    """An autocommit connection to the test server; skips (or fails under CI) when none."""
    url = server_url()
    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as ex:
        message = f"no PostgreSQL at {redact(url)} (set HOSTPROVIDER_TEST_DATABASE_URL): {ex}"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


@attrs.define
class ScratchDatabase:
    name: str
    url: str
    admin: psycopg.Connection

    @classmethod
    def create(cls, admin: psycopg.Connection) -> ScratchDatabase:
        name = f"hostprovider_test_{secrets.token_hex(6)}"
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return cls(name, make_conninfo(server_url(), dbname=name), admin)

    def drop(self) -> None:
        self.admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name))
        )


@attrs.define
class PgDatabase:
    url: str
    pool: ConnectionPool
    tables: list[str]

    def truncate(self) -> None:
        """Empty every table a test wrote to (TRUNCATE costs per table, so only those)."""
        probe = sql.SQL(" UNION ALL ").join(
            sql.SQL("SELECT {name} WHERE EXISTS (SELECT FROM {table})").format(
                name=sql.Literal(table), table=sql.Identifier(table)
            )
            for table in self.tables
        )
        with psycopg.connect(self.url, autocommit=True) as conn:
            used = [name for (name,) in conn.execute(probe)]
            if used:
                conn.execute(
                    sql.SQL("TRUNCATE {} CASCADE").format(
                        sql.SQL(", ").join(map(sql.Identifier, used))
                    )
                )


def session_database() -> Iterator[PgDatabase]:
    admin = admin_connection()
    scratch = ScratchDatabase.create(admin)
    pool: ConnectionPool | None = None
    try:
        migrate(scratch.url)
        with psycopg.connect(scratch.url) as conn:
            tables = [
                name
                for (name,) in conn.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                    " AND tablename <> 'schema_migrations' ORDER BY tablename"
                )
            ]
        pool = open_pool(make_pool(scratch.url, size=POOL_SIZE, name="contract-tests"))
        yield PgDatabase(scratch.url, pool, tables)
    finally:
        if pool is not None:
            pool.close()
        scratch.drop()
        admin.close()


@contextlib.contextmanager
def refused_connections(url: str) -> Iterator[None]:
    """A database outage as the processes on `url` see it: every open connection to that database
    is cut and new ones are refused ("database ... is not currently accepting connections") until
    the block ends. Only the database of `url` is touched, never the server's others."""
    name = conninfo_to_dict(url)["dbname"]
    admin = admin_connection()
    try:
        database = sql.Identifier(str(name))
        admin.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS false").format(database))
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        yield
    finally:
        admin.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS true").format(database))
        admin.close()
