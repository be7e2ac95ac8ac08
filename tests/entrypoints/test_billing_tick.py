"""The scheduler's billing tick: page loops side by side on its own threads bill every due server
once, whichever loop gets to it."""

from __future__ import annotations

import datetime as dt

from domain.model.ledger import TxKind
from domain.usecases.billing import BillingReport, billing_run
from entrypoints.scheduler.billing import SharedClaims, billing_side_by_side, billing_tick
from entrypoints.scheduler.ticks import TICKS
from ports.billing import DueMeter
from tests.usecases.support import World


def _due(server_id: int) -> DueMeter:
    return DueMeter(server_id, 0, "", 1, None)  # type: ignore[arg-type]


def _five_servers_six_hours_on() -> tuple[World, set[int]]:
    world = World()
    ann, bob = world.customer(), world.customer()
    ids = {world.running_server(owner).id for owner in (ann, ann, ann, bob, bob)}
    world.clock.advance(dt.timedelta(hours=6))
    return world, ids


def test_loops_side_by_side_bill_each_server_once() -> None:
    world, ids = _five_servers_six_hours_on()

    report = billing_side_by_side(world.rt, batch=1, workers=3)

    usage = world.transactions(TxKind.USAGE)
    assert sorted(tx.server_id for tx in usage) == sorted(ids)  # once each
    assert report.charged_micro == sum(tx.amount.micro for tx in usage)
    alone, _ = _five_servers_six_hours_on()
    assert report == billing_run(alone.rt)  # what one loop bills
    assert report.servers == 5 and report.failed == 0
    assert billing_side_by_side(world.rt, batch=1, workers=3) == BillingReport(0, 0)


def test_shared_claims_hand_a_server_to_one_loop_only() -> None:
    claims = SharedClaims()
    assert [d.server_id for d in claims.take([_due(1), _due(2)])] == [1, 2]
    assert [d.server_id for d in claims.take([_due(2), _due(3)])] == [3]
    assert claims.take([_due(1), _due(3)]) == []


def test_the_billing_tick_is_the_side_by_side_run() -> None:
    [tick] = [t for t in TICKS if t.name == "billing"]
    assert tick.run is billing_tick
    world = World()
    world.running_server(world.customer())
    world.clock.advance(dt.timedelta(hours=3))
    assert billing_tick(world.rt).servers == 1
