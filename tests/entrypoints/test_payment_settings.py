"""Top-up settings: limits, the reconciliation's wait, YooKassa's shop and where its notifications
may come from; every mistake is one line naming the variable."""

from __future__ import annotations

import pytest

from entrypoints.config import ConfigError, load_settings
from entrypoints.payments_config import YOOKASSA_API, YOOKASSA_NOTIFY_FROM


def settings(**env: str):  # type: ignore[no-untyped-def]
    return load_settings({f"HOSTPROVIDER_{k}": v for k, v in env.items()}, dotenv=None).payments


def test_defaults_are_the_sandbox_checkout() -> None:
    found = settings()
    assert found.yookassa is None
    assert (found.min_micro, found.max_micro, found.reconcile_minutes) == (
        100_000_000,
        1_000_000_000_000,
        10,
    )


def test_a_yookassa_shop() -> None:
    found = settings(YOOKASSA_SHOP_ID="100500", YOOKASSA_SECRET_KEY="live_x")
    assert found.yookassa is not None
    assert (found.yookassa.url, found.yookassa.notify_from) == (YOOKASSA_API, YOOKASSA_NOTIFY_FROM)
    assert "live_x" not in repr(found)
    narrowed = settings(
        YOOKASSA_SHOP_ID="1", YOOKASSA_SECRET_KEY="s", YOOKASSA_NOTIFY_FROM="10.0.0.0/8, ::1"
    )
    assert narrowed.yookassa is not None and narrowed.yookassa.notify_from == ("10.0.0.0/8", "::1")


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"YOOKASSA_SHOP_ID": "1"}, "HOSTPROVIDER_YOOKASSA_SHOP_ID"),
        (
            {"YOOKASSA_SHOP_ID": "1", "YOOKASSA_SECRET_KEY": "s", "YOOKASSA_URL": "ftp://x"},
            "HOSTPROVIDER_YOOKASSA_URL",
        ),
        (
            {"YOOKASSA_SHOP_ID": "1", "YOOKASSA_SECRET_KEY": "s", "YOOKASSA_NOTIFY_FROM": "x/99"},
            "HOSTPROVIDER_YOOKASSA_NOTIFY_FROM",
        ),
        ({"PAYMENT_MIN_AMOUNT": "ten"}, "HOSTPROVIDER_PAYMENT_MIN_AMOUNT"),
        ({"PAYMENT_MAX_AMOUNT": "0.001"}, "HOSTPROVIDER_PAYMENT_MAX_AMOUNT"),
        ({"PAYMENT_MIN_AMOUNT": "500.00", "PAYMENT_MAX_AMOUNT": "100.00"}, "MIN_AMOUNT"),
        ({"PAYMENT_RECONCILE_MINUTES": "0"}, "HOSTPROVIDER_PAYMENT_RECONCILE_MINUTES"),
    ],
)
def test_mistakes_name_the_setting(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        settings(**env)
