"""Billing run on the in-memory store against the bare metering arithmetic over the same meters.

The ratio is what the use case's machinery (a unit of work per server, ledger posting with its
checks, idempotency keys) costs on top of the pure computation. It says nothing about PostgreSQL:
that benchmark arrives with the persistence issue.
"""

from __future__ import annotations

import datetime as dt
import sys
import time

from adapters.memory import FakeClock
from domain.model.catalogue import GuestKind, ServerConfig
from domain.model.metering import Meter, bill
from domain.model.money import Money
from domain.model.promo import NO_DISCOUNT
from domain.model.server import Placement, Server, ServerStatus
from domain.usecases.billing import billing_run
from domain.usecases.runtime import Runtime
from tests.backoffice import Backoffice

START = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def _meter() -> Meter:
    hourly = Money.parse("1.90", "RUB")
    return Meter.start(hourly, Money.parse("600.00", "RUB"), NO_DISCOUNT, START)


def _populate(runtime: Runtime, servers: int) -> None:
    with runtime.uow() as uow:
        for n in range(servers):
            uow.servers.add(
                Server(
                    id=uow.servers.next_id(),
                    owner_id=1 + n % 100,
                    name=f"s{n}",
                    location_id=1,
                    image_id=1,
                    tariff_id=2,
                    guest_kind=GuestKind.LXC,
                    config=ServerConfig(2, 2048, 40),
                    status=ServerStatus.RUNNING,
                    created_at=START,
                    updated_at=START,
                    catalogue_version=1,
                    meter=_meter(),
                    placement=Placement(node="pve-msk-1", vmid=100 + n),
                )
            )
        uow.commit()


def main(servers: int = 10_000) -> None:
    clock = FakeClock(START)
    runtime = Backoffice(clock=clock).rt
    _populate(runtime, servers)
    clock.advance(dt.timedelta(hours=3))
    until = clock.now()

    began = time.perf_counter()
    meters = [_meter() for _ in range(servers)]
    total_bare = sum(seg.charge.micro for m in meters for seg in bill(m, until)[1])
    bare = time.perf_counter() - began

    began = time.perf_counter()
    report = billing_run(runtime)
    ours = time.perf_counter() - began

    assert report.charged_micro == total_bare, (report.charged_micro, total_bare)
    print(
        f"billing run, {servers} servers, in memory: {ours:.3f} s; bare metering: {bare:.3f} s; "
        f"ratio {ours / bare:.1f}x; charged {Money(total_bare, 'RUB')}"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
