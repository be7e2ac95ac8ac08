"""Settings for the PostgreSQL deployment: what every process must share, and the sizes."""

from __future__ import annotations

import pytest

from entrypoints.config import ConfigError, load_settings

URL = "postgresql://app@db.example/hostprovider"


def test_a_database_needs_a_shared_quote_key():
    with pytest.raises(ConfigError, match="HOSTPROVIDER_QUOTE_KEY"):
        load_settings({"HOSTPROVIDER_DATABASE_URL": URL}, dotenv=None)


def test_the_sandbox_signs_with_a_key_of_its_own():
    assert len(load_settings({}, dotenv=None).quote_key) == 32


def test_pool_workers_and_concurrency_are_read():
    settings = load_settings(
        {
            "HOSTPROVIDER_DATABASE_URL": URL,
            "HOSTPROVIDER_QUOTE_KEY": "k" * 32,
            "HOSTPROVIDER_DB_POOL_SIZE": "4",
            "HOSTPROVIDER_WEB_WORKERS": "3",
            "HOSTPROVIDER_SCHEDULER_CONCURRENCY": "6",
            "HOSTPROVIDER_SMTP_HOST": "none",
        },
        dotenv=None,
    )
    sizes = (settings.db_pool_size, settings.web_workers, settings.scheduler_concurrency)
    assert sizes == (4, 3, 6)
    assert not settings.sandbox
