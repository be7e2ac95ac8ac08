"""A meter's pending rate (a rebuild's licence change waiting for the next month) on every store:
kept as it was written, cleared when written without one, taken up by a billing run that reaches
its month and kept by a run that does not (the page's write carries the rates, not only the
watermark)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import attrs

from adapters.memory import FakeClock, InlineJobQueue
from domain.model.ledger import TxKind
from domain.model.metering import Meter, PendingRate
from domain.model.money import Money
from domain.model.promo import NO_DISCOUNT
from domain.usecases.billing import billing_run
from ports.unit_of_work import UnitOfWork
from tests.backoffice import Backoffice

from . import builders as b

FEBRUARY = dt.datetime(2026, 2, 1, tzinfo=dt.UTC)
MARCH = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
NOW = FEBRUARY + dt.timedelta(hours=3)


def rub(text: str) -> Money:
    return Money.parse(text, b.RUB)


def pending_meter(billed_until: dt.datetime, starts: dt.datetime) -> Meter:
    """1.00 an hour (730.00 a month), then 2.50 (1825.00) from `starts`."""
    meter = Meter.start(rub("1.00"), rub("730.00"), NO_DISCOUNT, billed_until)
    return attrs.evolve(meter, pending=PendingRate(rub("2.50"), rub("1825.00"), starts))


def stored_meter(uow_factory: Callable[[], UnitOfWork], server_id: int) -> Meter:
    with uow_factory() as uow:
        found = uow.servers.get(server_id)
    assert found is not None
    return found.meter


def test_a_pending_rate_comes_back_as_written_and_goes_when_cleared(uow_factory):
    meter = pending_meter(b.T0, FEBRUARY)
    with uow_factory() as uow:
        uow.servers.add(b.server(1, meter=meter))
        uow.commit()
    assert stored_meter(uow_factory, 1) == meter

    with uow_factory() as uow:
        server = uow.servers.get_for_update(1)
        server.meter = attrs.evolve(server.meter, pending=None)
        uow.servers.update(server)
        uow.commit()
    assert stored_meter(uow_factory, 1).pending is None


def test_a_billing_run_takes_up_the_rate_whose_month_it_reaches(uow_factory):
    with uow_factory() as uow:
        # Due across the month end, its pending rate from February: taken up.
        uow.servers.add(
            b.server(1, meter=pending_meter(FEBRUARY - dt.timedelta(hours=2), FEBRUARY))
        )
        # Due, but its pending rate waits for March: the run keeps it.
        uow.servers.add(b.server(2, meter=pending_meter(FEBRUARY, MARCH)))
        uow.commit()
    rt = Backoffice(store=uow_factory, jobs=InlineJobQueue(auto_run=False), clock=FakeClock(NOW)).rt

    billing_run(rt)

    with uow_factory() as uow:
        charges = {
            server_id: [
                tx.amount.micro
                for tx in sorted(uow.ledger.all(), key=lambda tx: tx.key)
                if tx.kind is TxKind.USAGE and tx.server_id == server_id
            ]
            for server_id in (1, 2)
        }
    assert charges == {
        1: [rub("2.00").micro, rub("7.50").micro],  # two January hours at 1.00, three at 2.50
        2: [rub("3.00").micro],
    }
    taken = stored_meter(uow_factory, 1)
    assert (taken.hourly, taken.monthly_cap, taken.pending) == (rub("2.50"), rub("1825.00"), None)
    kept = stored_meter(uow_factory, 2)
    assert (kept.hourly, kept.billed_until) == (rub("1.00"), NOW)
    assert kept.pending == PendingRate(rub("2.50"), rub("1825.00"), MARCH)
