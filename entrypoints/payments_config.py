"""Top-up settings: the payment gateway (YooKassa, or the sandbox checkout without one), the least
and most one payment may be, and when the reconciliation asks the gateway about a pending one."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import attrs

from domain.model.errors import ValidationError
from domain.model.money import MICRO, Money
from ports.clock import Clock
from ports.payments import PaymentGateway

if TYPE_CHECKING:
    from psycopg_pool import ConnectionPool

PREFIX = "HOSTPROVIDER_"
_YK = f"{PREFIX}YOOKASSA_"
YOOKASSA_API = "https://api.yookassa.ru/v3"
# Where YooKassa sends notifications from, as its documentation publishes them
# (https://yookassa.ru/developers/using-api/webhooks#ip).
YOOKASSA_NOTIFY_FROM = (
    "185.71.76.0/27",
    "185.71.77.0/27",
    "77.75.153.0/25",
    "77.75.156.11/32",
    "77.75.156.35/32",
    "77.75.154.128/25",
    "2a02:5180::/32",
)


class PaymentConfigError(ValueError):
    """A payment setting is malformed; the message names it (config.py makes it a ConfigError)."""


@attrs.frozen
class YooKassaSettings:
    shop_id: str
    secret_key: str = attrs.field(repr=False)
    url: str = YOOKASSA_API
    return_url: str = ""  # where the buyer comes back to; the public URL when unset
    notify_from: tuple[str, ...] = YOOKASSA_NOTIFY_FROM


@attrs.frozen
class PaymentSettings:
    yookassa: YooKassaSettings | None = None  # None: the sandbox checkout
    min_micro: int = 100 * MICRO
    max_micro: int = 1_000_000 * MICRO
    reconcile_minutes: int = 10


def read_payments(env: Mapping[str, str], currency: str) -> PaymentSettings:
    from entrypoints.http.client_address import parse_networks

    least = _amount(env, f"{PREFIX}PAYMENT_MIN_AMOUNT", "100.00", currency)
    most = _amount(env, f"{PREFIX}PAYMENT_MAX_AMOUNT", "1000000.00", currency)
    if least > most:
        raise PaymentConfigError(
            f"{PREFIX}PAYMENT_MIN_AMOUNT must not be more than {PREFIX}PAYMENT_MAX_AMOUNT"
        )
    minutes = env.get(f"{PREFIX}PAYMENT_RECONCILE_MINUTES") or "10"
    if not minutes.isdigit() or int(minutes) < 1:
        raise PaymentConfigError(f"{PREFIX}PAYMENT_RECONCILE_MINUTES must be a whole number >= 1")
    shop, secret = env.get(f"{_YK}SHOP_ID") or "", env.get(f"{_YK}SECRET_KEY") or ""
    yookassa = None
    if shop or secret:
        if not (shop and secret):
            raise PaymentConfigError(f"{_YK}SHOP_ID and {_YK}SECRET_KEY: set both, or neither")
        url = (env.get(f"{_YK}URL") or YOOKASSA_API).rstrip("/")
        return_url = env.get(f"{_YK}RETURN_URL") or ""
        for name, value in ((f"{_YK}URL", url), (f"{_YK}RETURN_URL", return_url or "https://")):
            if not value.startswith(("https://", "http://")):
                raise PaymentConfigError(f"{name} must be an http(s) URL")
        raw = env.get(f"{_YK}NOTIFY_FROM")
        notify_from = (
            tuple(c.strip() for c in raw.split(",") if c.strip()) if raw else YOOKASSA_NOTIFY_FROM
        )
        try:
            parse_networks(notify_from)
        except ValueError as ex:
            raise PaymentConfigError(f"{_YK}NOTIFY_FROM: {ex}") from None
        yookassa = YooKassaSettings(shop, secret, url, return_url, notify_from)
    return PaymentSettings(yookassa, least.micro, most.micro, int(minutes))


def _amount(env: Mapping[str, str], name: str, default: str, currency: str) -> Money:
    try:
        value = Money.parse(env.get(name) or default, currency)
    except ValidationError:
        raise PaymentConfigError(f"{name} must be an amount such as {default}") from None
    if value.micro <= 0 or value.micro % 10_000:
        raise PaymentConfigError(f"{name} must be positive, with at most two decimal places")
    return value


def make_gateway(
    settings: PaymentSettings,
    public_url: str,
    clock: Clock,
    pool: Callable[[], ConnectionPool],
    in_memory: bool,
) -> PaymentGateway:
    """YooKassa when its shop is configured; else the sandbox's own checkout page, its records in
    the database when there is one (any process serves the page) or in this process."""
    from adapters.payments.sandbox import MemoryCheckoutStore, SandboxGateway

    yookassa = settings.yookassa
    if yookassa is not None:
        from adapters.payments.yookassa import YooKassaGateway

        return YooKassaGateway(
            yookassa.shop_id,
            yookassa.secret_key,
            url=yookassa.url,
            return_url=yookassa.return_url or public_url,
            notify_from=yookassa.notify_from,
        )
    if in_memory:
        return SandboxGateway(MemoryCheckoutStore(), clock, public_url)
    from adapters.postgres.sandbox_checkout import PostgresCheckoutStore

    return SandboxGateway(PostgresCheckoutStore(pool()), clock, public_url)
