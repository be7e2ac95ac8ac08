"""Versioned plain-SQL migrations: `migrations/NNNN_name.sql`, applied in order, each exactly once.

Why a small runner rather than yoyo-migrations: what we need is little (ordered files, one
transaction each, a record of what ran, a lock so two processes can start at once), and the runner
below does exactly that on the psycopg 3 we already use. yoyo would add its own connection handling
(it opens connections from a URL, not from ours), its own tables and its statement splitting of the
SQL files; procrastinate's schema is ~600 lines of PL/pgSQL that we want to run verbatim as one
script. Sixty lines we can read beat a dependency's edge cases here.

How it stays safe:
- A session-level `pg_advisory_lock` on a dedicated connection serializes runners: a second process
  waits, then finds everything applied and does nothing. Running it twice is therefore a no-op.
- Each file runs in its own transaction together with its row in `schema_migrations`, so a failed
  file leaves nothing half-applied and is retried by the next run.
- The SHA-256 of every applied file is recorded; an applied file that later changed is refused
  loudly (fix forward with a new file instead of editing history).

Procrastinate's schema (the hook): vendor the output of `procrastinate schema --read` for the pinned
version as the next numbered file (for example `0002_procrastinate_3_10.sql`), and each later
upstream pre/post upgrade script as a further numbered file when the pin moves. The runner needs no
change: files are plain SQL, run whole (dollar-quoted function bodies included).
"""

from __future__ import annotations

import hashlib
import re
from importlib import resources
from pathlib import Path

import attrs
import psycopg

LOCK_ID = 7_310_420_917  # pg_advisory_lock key reserved for schema migrations
_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


class MigrationError(RuntimeError):
    """The database's migration history does not match the files (edited or missing)."""


@attrs.frozen
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def bundled() -> list[Migration]:
    """The migrations shipped in this package, in version order."""
    folder = resources.files("adapters.postgres") / "migrations"
    return load(Path(str(folder)))


def load(folder: Path) -> list[Migration]:
    found = []
    for path in sorted(folder.iterdir()):
        match = _NAME.match(path.name)
        if match:
            found.append(Migration(int(match.group(1)), path.name, path.read_text("utf-8")))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"two migration files share a number in {folder}")
    return found


def migrate(conninfo: str, migrations: list[Migration] | None = None) -> list[str]:
    """Apply what is missing; return the names applied now (empty when up to date)."""
    todo = bundled() if migrations is None else migrations
    applied_now: list[str] = []
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_ID,))
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL,"
                " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
            )
            rows = conn.execute("SELECT version, name, checksum FROM schema_migrations").fetchall()
            done = {version: (name, checksum) for version, name, checksum in rows}
            for migration in todo:
                if migration.version in done:
                    name, checksum = done[migration.version]
                    if checksum != migration.checksum:
                        raise MigrationError(
                            f"{migration.name} changed after it was applied as {name}; "
                            "add a new migration instead of editing an applied one"
                        )
                    continue
                with conn.transaction():
                    conn.execute(migration.sql.encode())  # no parameters: run as one script
                    conn.execute(
                        "INSERT INTO schema_migrations (version, name, checksum)"
                        " VALUES (%s, %s, %s)",
                        (migration.version, migration.name, migration.checksum),
                    )
                applied_now.append(migration.name)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_ID,))
    return applied_now


def pending(conninfo: str, migrations: list[Migration] | None = None) -> list[str]:
    """The migrations not applied yet (all of them on an empty database); connecting is the check
    that the database is there at all, so an unreachable one raises psycopg.OperationalError."""
    todo = bundled() if migrations is None else migrations
    with psycopg.connect(conninfo, autocommit=True, connect_timeout=10) as conn:
        exists = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()
        if not (exists and exists[0]):
            return [m.name for m in todo]
        done = {v for (v,) in conn.execute("SELECT version FROM schema_migrations")}
    return [m.name for m in todo if m.version not in done]
