"""What growing a server costs, and how that money is held, then settled.

Inside the period paid up front (the first billing period, held at order time and captured when the
server came up) a bigger size costs the difference for what is left of that period. A resize is a
customer's own command, so that difference is covered like an order: held from the wallet when the
resize is asked for (refused with InsufficientFunds when the balance does not cover it), captured
when the guest has changed, released when the action fails. Past the prepaid period there is nothing
to hold: the new size is metered per second from the moment it takes effect. A licence change a
rebuild left pending still waits for its month (the new size is priced without it until then).
"""

from __future__ import annotations

import datetime as dt

import attrs

from domain.model.action import Action
from domain.model.catalogue import Catalogue, ServerConfig, Tariff
from domain.model.ledger import TxKind
from domain.model.ledger_movements import capture, charge, hold, release
from domain.model.metering import Meter
from domain.model.money import Money
from domain.model.pricing import monthly_cap
from domain.model.server import Server
from ports.unit_of_work import UnitOfWork


@attrs.frozen
class PricedResize:
    meter: Meter  # the server's meter at the new size, re-rated at the moment priced
    extra: Money  # the difference for the rest of the prepaid period, after discount
    tariff: Tariff | None  # the preset the new size still is, or None for a custom server


def price_resize(
    catalogue: Catalogue, server: Server, config: ServerConfig, at: dt.datetime
) -> PricedResize:
    """The server re-rated for `config` at `at`. Raises when the catalogue can no longer price it
    (its image or location withdrawn)."""
    image = catalogue.image(server.image_id)
    hourly = catalogue.rates_at(server.location_id).hourly(config, image)
    # A tariff withdrawn from the catalogue since the order leaves a custom server, like any resize.
    tariff = next((t for t in catalogue.tariffs if t.id == server.tariff_id), None)
    if tariff is None or tariff.config != config:
        tariff = None  # a resized preset is a custom server from now on
    cap = monthly_cap(hourly, tariff, image.licence_hourly)
    # Priced with the image the server runs now: after a rebuild this month onto another licence,
    # that licence is not billed yet. The meter keeps the rebuild's promise (Meter.rerated): the new
    # size from now without the licence change, and with it from the month the rebuild named.
    meter, extra = server.meter.grown_within_prepaid(hourly, cap, at)
    return PricedResize(meter, extra, tariff)


def growth_hold_key(action: Action) -> str:
    return f"resize:{action.server_id}:{action.id}:hold"


def hold_growth(
    uow: UnitOfWork, server: Server, action: Action, config: ServerConfig, now: dt.datetime
) -> Money:
    """Hold what the bigger size costs for the rest of the prepaid period; returns the amount.

    The hold is customer-initiated: the ledger refuses it with InsufficientFunds (required,
    available) when the wallet does not cover it, and the caller's unit of work rolls back."""
    extra = price_resize(uow.catalogue.current(), server, config, now).extra
    if extra.micro > 0:
        uow.ledger.post(
            hold(
                server.owner_id,
                extra,
                key=growth_hold_key(action),
                now=now,
                server_id=server.id,
                memo=f"server {server.name}: a larger size for the rest of the prepaid period",
            )
        )
    return extra


def settle_growth(
    uow: UnitOfWork, server: Server, action: Action, priced: PricedResize, now: dt.datetime
) -> None:
    """The guest has the new size: take what it costs for the rest of the prepaid period.

    Priced again now (a little less of the period is left than when it was held): the hold is
    captured up to that and the rest of it released. Only what the hold cannot cover (the catalogue
    raised its prices meanwhile, or the action was queued before resizes were held) is charged as
    usage, which, like all usage, may take the wallet below zero."""
    held = uow.ledger.get(growth_hold_key(action))
    extra = priced.extra
    if held is not None and uow.ledger.unsettled(held.key) > 0:
        taken = extra.min(held.amount)
        if taken.micro > 0:
            memo = f"server {server.name}: the larger size for the rest of the prepaid period"
            for tx in capture(held, taken, now=now, memo=memo):  # and releases the rest
                uow.ledger.post(tx)
        else:
            uow.ledger.post(release(held, now=now, memo="the prepaid period is over"))
        extra = extra - taken
    if extra.micro > 0:
        uow.ledger.post(
            charge(
                server.owner_id,
                extra,
                key=f"resize:{server.id}:{action.id}",
                now=now,
                memo=f"server {server.name}: the larger size for the rest of the prepaid period",
                kind=TxKind.USAGE,
                server_id=server.id,
                catalogue_version=uow.catalogue.current().version,
            )
        )


def release_growth(uow: UnitOfWork, action: Action, now: dt.datetime) -> None:
    """The resize did not happen: whatever it held goes back to the wallet."""
    held = uow.ledger.get(growth_hold_key(action))
    if held is not None and uow.ledger.unsettled(held.key) > 0:
        uow.ledger.post(release(held, now=now, memo="the resize did not happen"))
