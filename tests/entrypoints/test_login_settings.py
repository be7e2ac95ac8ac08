"""Settings of logins and accounts: trusted proxies, the public URL of links, hashing slots and
the sign-up throttle."""

from __future__ import annotations

import pytest

from entrypoints.config import ConfigError, load_settings
from entrypoints.container import build


def test_the_defaults_trust_no_proxy_and_hash_two_at_once():
    settings = load_settings({}, dotenv=None)

    assert settings.trusted_proxies == ()
    assert settings.public_url == "http://127.0.0.1:8000"
    assert (settings.password_hash_slots, settings.registrations_per_hour) == (2, 10)


def test_the_settings_are_read_and_reach_the_policy():
    settings = load_settings(
        {
            "HOSTPROVIDER_TRUSTED_PROXIES": " 10.0.0.0/8, 2001:db8::/32 ,",
            "HOSTPROVIDER_PUBLIC_URL": "https://panel.oxnack.example/",
            "HOSTPROVIDER_PASSWORD_HASH_SLOTS": "4",
            "HOSTPROVIDER_REGISTRATIONS_PER_HOUR": "30",
        },
        dotenv=None,
    )

    assert settings.trusted_proxies == ("10.0.0.0/8", "2001:db8::/32")
    policy = build(settings).policy()
    assert policy.public_url == "https://panel.oxnack.example"
    assert policy.registrations_per_hour == 30
    assert "qwertyuiop" in policy.common_passwords and len(policy.common_passwords) == 10_000


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("HOSTPROVIDER_TRUSTED_PROXIES", "10.0.0.0/8,the-proxy"),
        ("HOSTPROVIDER_PUBLIC_URL", "panel.oxnack.example"),
        ("HOSTPROVIDER_PASSWORD_HASH_SLOTS", "0"),
        ("HOSTPROVIDER_REGISTRATIONS_PER_HOUR", "many"),
    ],
)
def test_a_bad_value_names_its_variable(variable: str, value: str):
    with pytest.raises(ConfigError, match=variable):
        load_settings({variable: value}, dotenv=None)
