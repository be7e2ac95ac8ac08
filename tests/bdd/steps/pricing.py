"""Asking for prices, and ordering what was quoted."""

from __future__ import annotations

import attrs
from pytest_bdd import given, parsers, then, when

from domain.model.commands import OrderRequest
from domain.usecases.catalogue import SignedQuote, quote_order

from .common import NAME, Outcome, Shop, attempt, same_money
from .servers import place_order

CUSTOM = (
    r"(?P<cores>\d+) cores?, (?P<memory>\d+) MiB of memory and (?P<disk>\d+) GiB of disk "
    r"with (?P<os>.+?) in (?P<city>[A-Z][\w ]*)"
)
TARIFF = r'a "(?P<tariff>[^"]+)" server with (?P<os>.+?) in (?P<city>[A-Z][\w ]*)'


@attrs.frozen
class QuotedOrder:
    request: OrderRequest
    signed: SignedQuote


def custom_request(
    shop: Shop, cores: str, memory: str, disk: str, os: str, city: str
) -> OrderRequest:
    return OrderRequest(
        os_id=shop.image(os).id,
        location_id=shop.location(city).id,
        cores=int(cores),
        memory=int(memory),
        disk=int(disk),
    )


def tariff_request(shop: Shop, tariff: str, os: str, city: str) -> OrderRequest:
    return OrderRequest(
        os_id=shop.image(os).id,
        location_id=shop.location(city).id,
        tariff_id=shop.tariff(tariff).id,
    )


@when(parsers.re(rf"^a visitor asks the price of {CUSTOM}$"), target_fixture="outcome")
def _price_custom(shop: Shop, cores: str, memory: str, disk: str, os: str, city: str) -> Outcome:
    return attempt(
        lambda: quote_order(shop.rt, None, custom_request(shop, cores, memory, disk, os, city))
    )


@when(parsers.re(rf"^a visitor asks the price of {TARIFF}$"), target_fixture="outcome")
def _price_tariff(shop: Shop, tariff: str, os: str, city: str) -> Outcome:
    return attempt(lambda: quote_order(shop.rt, None, tariff_request(shop, tariff, os, city)))


@then(parsers.parse("the price is {hourly} per hour"))
def _hourly(outcome: Outcome, hourly: str) -> None:
    same_money(outcome.result().quote.hourly, hourly)


@then(parsers.parse("a month costs at most {monthly}"))
def _monthly(outcome: Outcome, monthly: str) -> None:
    same_money(outcome.result().quote.monthly, monthly)


@then(parsers.parse("the first charge is {first}"))
def _first_charge(outcome: Outcome, first: str) -> None:
    same_money(outcome.result().quote.first_charge, first)


@given(parsers.re(rf"^{NAME} got a quote for {TARIFF}$"), target_fixture="quoted")
def _got_quote(shop: Shop, name: str, tariff: str, os: str, city: str) -> QuotedOrder:
    request = tariff_request(shop, tariff, os, city)
    return QuotedOrder(request, quote_order(shop.rt, shop.customer(name).actor, request))


@when(
    parsers.re(rf'^{NAME} orders the quoted server as "(?P<server>[^"]+)"$'),
    target_fixture="outcome",
)
def _order_quoted(shop: Shop, quoted: QuotedOrder, name: str, server: str) -> Outcome:
    request = attrs.evolve(quoted.request, quote_id=quoted.signed.quote_id, name=server)
    return place_order(shop, name, request)
