"""HOSTPROVIDER_WARM_POOL: how many ready guests to keep per location and OS image."""

from __future__ import annotations

import pytest

from entrypoints.config import ConfigError, load_settings
from entrypoints.container import build


def settings(value: str | None):  # type: ignore[no-untyped-def]
    env = {"HOSTPROVIDER_WARM_POOL": value} if value is not None else {}
    return load_settings(env, dotenv=None)


def test_unset_keeps_no_pool() -> None:
    assert settings(None).warm_pool == ()
    assert settings("").warm_pool == ()


def test_pairs_become_the_policy() -> None:
    parsed = settings(" 1:4=1, 1:1=2 ,2:1=0")
    assert parsed.warm_pool == (((1, 1), 2), ((1, 4), 1), ((2, 1), 0))
    assert build(parsed).runtime().policy.warm_pool == {(1, 1): 2, (1, 4): 1, (2, 1): 0}


@pytest.mark.parametrize("value", ["1=2", "1:1", "a:1=2", "1:1=-1", "1:1=2,1:1=3", "1:1=two"])
def test_a_malformed_value_names_the_variable(value: str) -> None:
    with pytest.raises(ConfigError, match="HOSTPROVIDER_WARM_POOL"):
        settings(value)
