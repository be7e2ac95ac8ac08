"""Quotes: what a configuration costs, and a signature so that an order pays exactly what was shown.

Pricing is pure and deterministic: the same catalogue, configuration, code and moment give the same
quote, to the micro-unit.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json

import attrs

from domain.model.catalogue import (
    HOURS_PER_MONTH,
    Catalogue,
    Location,
    OsImage,
    ServerConfig,
    Tariff,
)
from domain.model.commands import OrderRequest
from domain.model.errors import QuoteRejected, RuleViolation, ValidationError
from domain.model.money import Money, Rounding
from domain.model.promo import NO_DISCOUNT, DiscountTerms, PromoCode

SECONDS_PER_HOUR = 3600


@attrs.frozen
class Order:
    """A resolved order: the catalogue entries it names and the resources it reserves."""

    location: Location
    image: OsImage
    config: ServerConfig
    tariff: Tariff | None = None


def resolve_order(catalogue: Catalogue, request: OrderRequest) -> Order:
    """Turn what a customer sent into an Order, or name the first field that is wrong."""
    image = catalogue.image(request.os_id)
    location_id = request.location_id
    if request.tariff_id is not None:
        if request.sized:
            raise ValidationError("tariffId", "cannot be combined with cores, memory or disk")
        tariff = catalogue.tariff(request.tariff_id)
        location = (
            catalogue.location(location_id)
            if location_id is not None
            else catalogue.location(
                min(tariff.location_ids) if tariff.location_ids else catalogue.locations[0].id
            )
        )
        if not tariff.offered_at(location.id):
            raise RuleViolation(
                "locationId", f"tariff {tariff.name} is not offered at {location.code}"
            )
        config = tariff.config
    else:
        cores, memory, disk = request.cores, request.memory, request.disk
        if location_id is None or cores is None or memory is None or disk is None:
            missing = {"locationId": location_id, "cores": cores, "memory": memory, "disk": disk}
            field = next(name for name, value in missing.items() if value is None)
            raise ValidationError(field, "is required when no tariffId is given")
        location = catalogue.location(location_id)
        tariff = None
        config = ServerConfig(cores=cores.value, memory_mib=memory.value, disk_gib=disk.value)
    config.validated(catalogue.limits)
    return Order(location=location, image=image, config=config, tariff=tariff)


@attrs.frozen
class Quote:
    catalogue_version: int
    location_id: int
    image_id: int
    tariff_id: int | None
    config: ServerConfig
    hourly: Money  # list price per hour
    monthly: Money  # the most a calendar month can cost
    first_charge_list: Money  # the first billing period before discount
    discount: Money  # taken off the first charge
    first_charge: Money  # what is held at order time and captured when the server runs
    period_seconds: int
    promo_code: str | None
    terms: DiscountTerms

    @property
    def currency(self) -> str:
        return self.hourly.currency


def list_charge(hourly: Money, monthly_cap: Money, seconds: int) -> Money:
    """What `seconds` of existence cost at list price within one month, cumulative and capped."""
    return hourly.scale(seconds, SECONDS_PER_HOUR, Rounding.HALF_UP).min(monthly_cap)


def monthly_cap(hourly: Money, tariff: Tariff | None, licence_hourly: Money | None = None) -> Money:
    """The most a calendar month can cost: 730 hours, where a tariff's price caps the resources.

    A licence (Windows) is rented from its vendor by the hour and is not part of any tariff price,
    so it is added on top of the tariff's cap rather than disappearing inside it."""
    licence = licence_hourly if licence_hourly is not None else Money.zero(hourly.currency)
    resources = (hourly - licence) * HOURS_PER_MONTH
    if tariff is not None:
        resources = resources.min(tariff.monthly_price)
    return resources + licence * HOURS_PER_MONTH


def quote(
    catalogue: Catalogue,
    order: Order,
    *,
    period_seconds: int,
    promo: PromoCode | None = None,
    now: dt.datetime,
) -> Quote:
    """Price an order. The promo code must already have been checked for this customer."""
    if period_seconds <= 0:
        raise ValueError("billing period must be positive")
    hourly = catalogue.rates_at(order.location.id).hourly(order.config, order.image)
    cap = monthly_cap(hourly, order.tariff, order.image.licence_hourly)
    first_list = list_charge(hourly, cap, period_seconds)
    terms = (
        promo.discount_terms(now) if promo is not None and promo.applies_to_orders else NO_DISCOUNT
    )
    discount = terms.first_charge_discount(first_list)
    return Quote(
        catalogue_version=catalogue.version,
        location_id=order.location.id,
        image_id=order.image.id,
        tariff_id=order.tariff.id if order.tariff else None,
        config=order.config,
        hourly=hourly,
        monthly=cap,
        first_charge_list=first_list,
        discount=discount,
        first_charge=first_list - discount,
        period_seconds=period_seconds,
        promo_code=promo.code if promo is not None and promo.applies_to_orders else None,
        terms=terms,
    )


# --- signed quotes -------------------------------------------------------------------------------


def _claims(q: Quote, account_id: int, expires_at: dt.datetime) -> dict[str, object]:
    return {
        "a": account_id,
        "v": q.catalogue_version,
        "l": q.location_id,
        "o": q.image_id,
        "t": q.tariff_id,
        "c": [q.config.cores, q.config.memory_mib, q.config.disk_gib],
        "p": q.promo_code,
        "f": q.first_charge.micro,
        "h": q.hourly.micro,
        "x": int(expires_at.timestamp()),
    }


def _mac(key: bytes, payload: bytes) -> str:
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


def sign_quote(q: Quote, *, account_id: int, expires_at: dt.datetime, key: bytes) -> str:
    payload = json.dumps(_claims(q, account_id, expires_at), separators=(",", ":"), sort_keys=True)
    body = base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
    return f"q1.{body}.{_mac(key, body.encode())}"


def verify_quote(
    token: str, fresh: Quote, *, account_id: int, now: dt.datetime, key: bytes
) -> None:
    """Accept `token` only if it was signed by us, is unexpired, and names exactly the `fresh`
    quote.

    The order is re-priced from the current catalogue; a token is then proof that the customer saw
    this very price. A catalogue change, another configuration or another customer voids it.
    """
    # Non-ASCII text is refused up front: compare_digest raises TypeError on it rather than saying
    # no.
    if not token.isascii() or token.count(".") != 2 or not token.startswith("q1."):
        raise QuoteRejected("quoteId is not a quote we issued")
    _, body, mac = token.split(".")
    if not hmac.compare_digest(mac, _mac(key, body.encode())):
        raise QuoteRejected("quoteId is not a quote we issued")
    try:
        claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except ValueError:
        raise QuoteRejected("quoteId is not a quote we issued") from None
    if now.timestamp() >= claims.get("x", 0):
        raise QuoteRejected("the quote has expired; ask for a new one")
    expected = _claims(fresh, account_id, dt.datetime.fromtimestamp(claims["x"], dt.UTC))
    if claims != expected:
        raise QuoteRejected("the quote does not match this order or its prices have changed")
