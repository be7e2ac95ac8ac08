"""Start-up check for the processes that need PostgreSQL: reachable, and migrated."""

from __future__ import annotations

import psycopg

from adapters.postgres.migrate import pending
from adapters.postgres.pool import redact
from entrypoints.config import ConfigError, Settings


def check_database(settings: Settings) -> None:
    """Stop the command, naming what to fix, before any worker starts."""
    url = settings.database_url
    if url is None:
        raise ConfigError("HOSTPROVIDER_DATABASE_URL is not set")
    try:
        missing = pending(url)
    except psycopg.OperationalError as ex:
        raise ConfigError(
            f"HOSTPROVIDER_DATABASE_URL: cannot connect to {redact(url)}: {ex}"
        ) from None
    if missing:
        raise ConfigError(
            f"the database at {redact(url)} lacks migrations {', '.join(missing)}: "
            "run `hostprovider migrate`"
        )
