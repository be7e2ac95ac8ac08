"""Settings for the PostgreSQL deployment: what every process must share, and the sizes."""

from __future__ import annotations

import pytest

from entrypoints.config import ConfigError, load_settings

URL = "postgresql://app@db.example/hostprovider"


def test_a_database_needs_a_shared_secret_key():
    with pytest.raises(ConfigError, match="HOSTPROVIDER_SECRET_KEY"):
        load_settings({"HOSTPROVIDER_DATABASE_URL": URL}, dotenv=None)


def test_the_sandbox_signs_with_a_key_of_its_own():
    assert len(load_settings({}, dotenv=None).secret_key) == 32


DATABASE = {"HOSTPROVIDER_DATABASE_URL": URL, "HOSTPROVIDER_SMTP_HOST": "none"}


def test_the_old_name_of_the_secret_key_is_still_read():
    old = load_settings({**DATABASE, "HOSTPROVIDER_QUOTE_KEY": "q" * 20}, dotenv=None)
    new = load_settings({**DATABASE, "HOSTPROVIDER_SECRET_KEY": "q" * 20}, dotenv=None)
    assert old.secret_key == new.secret_key == b"q" * 20
    both = {"HOSTPROVIDER_SECRET_KEY": "q" * 20, "HOSTPROVIDER_QUOTE_KEY": "q" * 20}
    assert load_settings({**DATABASE, **both}, dotenv=None).secret_key == b"q" * 20


def test_two_different_secret_keys_are_refused():
    both = {"HOSTPROVIDER_SECRET_KEY": "q" * 20, "HOSTPROVIDER_QUOTE_KEY": "z" * 20}
    with pytest.raises(ConfigError, match="differ"):
        load_settings({**DATABASE, **both}, dotenv=None)


@pytest.mark.parametrize("name", ["HOSTPROVIDER_SECRET_KEY", "HOSTPROVIDER_QUOTE_KEY"])
def test_a_short_secret_key_is_refused(name):
    with pytest.raises(ConfigError, match="HOSTPROVIDER_SECRET_KEY must be at least 16"):
        load_settings({**DATABASE, name: "short"}, dotenv=None)


def test_pool_workers_and_concurrency_are_read():
    settings = load_settings(
        {
            "HOSTPROVIDER_DATABASE_URL": URL,
            "HOSTPROVIDER_SECRET_KEY": "k" * 32,
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


def test_a_scheduler_runs_sixteen_jobs_at_once_unless_told():
    # A build holds its job while the hypervisor works: 8 left two of a 10-node location's
    # nodes idle while orders waited (bench/orders_on_nodes.py).
    settings = load_settings({**DATABASE, "HOSTPROVIDER_SECRET_KEY": "k" * 32}, dotenv=None)
    assert settings.scheduler_concurrency == 16
