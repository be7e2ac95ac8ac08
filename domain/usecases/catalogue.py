"""Catalogue queries and quotes."""

from __future__ import annotations

import datetime as dt

import attrs

from domain.model.catalogue import Catalogue, Location
from domain.model.commands import OrderRequest
from domain.model.errors import NoCatalogue, NotFound
from domain.model.pricing import Order, Quote, quote, resolve_order, sign_quote
from domain.model.promo import PromoCode
from domain.usecases.actors import Actor
from domain.usecases.runtime import Runtime
from ports.unit_of_work import UnitOfWork


@attrs.frozen
class SignedQuote:
    quote: Quote
    quote_id: str
    expires_at: dt.datetime


def current_catalogue(rt: Runtime) -> Catalogue:
    with rt.uow() as uow:
        return uow.catalogue.current()


def published_version(rt: Runtime) -> int | None:
    """The current catalogue's version, None before one is published; the store answers either
    way, which is what readiness asks."""
    with rt.uow() as uow:
        try:
            return uow.catalogue.current().version
        except NoCatalogue:
            return None


def catalogued_locations(uow: UnitOfWork) -> tuple[Location, ...]:
    """The current catalogue's locations; none before a catalogue is published (the periodic
    work that walks them has nothing to do then, rather than failing every turn)."""
    try:
        return uow.catalogue.current().locations
    except NoCatalogue:
        return ()


def price_order(
    uow: UnitOfWork, rt: Runtime, request: OrderRequest, now: dt.datetime, customer_id: int | None
) -> tuple[Order, Quote, PromoCode | None]:
    """Resolve and price an order, checking its promo code for this customer (if one is known)."""
    catalogue = uow.catalogue.current()
    order = resolve_order(catalogue, request)
    promo = None
    if request.promo_code is not None:
        code = request.promo_code.text
        promo = uow.promos.by_code(code)
        if promo is None:
            raise NotFound("promo code", code)
        uses = uow.promos.uses_by(promo.id, customer_id) if customer_id is not None else 0
        promo.check(
            now=now,
            customer_uses=uses,
            tariff_id=order.tariff.id if order.tariff else None,
            location_id=order.location.id,
        )
    priced = quote(
        catalogue, order, period_seconds=rt.policy.billing_period_seconds, promo=promo, now=now
    )
    return order, priced, promo


def quote_order(rt: Runtime, actor: Actor | None, request: OrderRequest) -> SignedQuote:
    """A price for any configuration; signed for the caller so that the order pays exactly this."""
    now = rt.clock.now()
    with rt.uow() as uow:
        _, priced, _ = price_order(uow, rt, request, now, actor.account_id if actor else None)
    expires = now + rt.policy.quote_ttl
    quote_id = sign_quote(
        priced,
        account_id=actor.account_id if actor else 0,
        expires_at=expires,
        key=rt.policy.quote_key,
    )
    return SignedQuote(priced, quote_id, expires)
