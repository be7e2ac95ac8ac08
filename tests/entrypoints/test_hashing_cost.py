"""Production hashes passwords at argon2id's strong cost unless told otherwise; only the tests'
own settings (tests/backoffice.py) turn it down, and only for tests that are not about hashing."""

from __future__ import annotations

import pytest

from entrypoints.config import ConfigError, Settings, load_settings
from entrypoints.container import hasher_of
from tests.backoffice import FAST

PRODUCTION = "$argon2id$v=19$m=65536,t=3,p=4$"  # RFC 9106's low-memory profile


def test_the_default_cost_is_rfc_9106_low_memory() -> None:
    for settings in (Settings(), load_settings({}, dotenv=None)):
        assert (
            settings.argon2_time_cost,
            settings.argon2_memory_kib,
            settings.argon2_parallelism,
        ) == (3, 65536, 4)
    assert hasher_of(Settings()).hash("correct horse battery").startswith(PRODUCTION)


def test_the_environment_cannot_take_memory_below_8_mib() -> None:
    with pytest.raises(ConfigError, match="HOSTPROVIDER_ARGON2_MEMORY_KIB must be at least 8192"):
        load_settings({"HOSTPROVIDER_ARGON2_MEMORY_KIB": "8"}, dotenv=None)


def test_the_fast_tests_hash_cheaply_and_still_with_argon2id() -> None:
    hashed = hasher_of(FAST).hash("correct horse battery")
    assert hashed.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert hasher_of(FAST).verify(hashed, "correct horse battery")
