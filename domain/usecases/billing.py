"""Metered billing: post what servers cost from their watermark to now.

Every charge is keyed by server and segment start, and posted in the same unit of work that moves the
watermark, so the run is safe to repeat and safe to run from several schedulers at once.
"""

from __future__ import annotations

import datetime as dt

import attrs

from domain.model.ledger import TxKind, charge
from domain.model.metering import bill
from domain.model.server import Server
from domain.usecases.runtime import Runtime
from ports.unit_of_work import UnitOfWork


def bill_server(uow: UnitOfWork, server: Server, until: dt.datetime) -> int:
    """Charge the server's usage up to `until` and advance its meter. Returns micro-units charged."""
    meter, segments = bill(server.meter, until)
    charged = 0
    for segment in segments:
        if segment.charge.micro <= 0:
            continue
        uow.ledger.post(
            charge(
                server.owner_id,
                segment.charge,
                key=f"usage:{server.id}:{int(segment.start.timestamp())}",
                now=until,
                memo=f"server {server.name}: {segment.start:%Y-%m-%d %H:%M:%S} to {segment.end:%Y-%m-%d %H:%M:%S} UTC",
                kind=TxKind.USAGE,
                server_id=server.id,
                catalogue_version=server.catalogue_version,
            )
        )
        charged += segment.charge.micro
    server.meter = meter
    return charged


@attrs.frozen
class BillingReport:
    servers: int
    charged_micro: int


def billing_run(rt: Runtime, *, batch: int = 500) -> BillingReport:
    """Bill every server whose last posting is a billing period or more behind.

    Each server is billed in its own unit of work, so one broken row cannot hold back the others and a
    crash loses at most the server being billed (its watermark did not move, so the next run bills it).
    """
    now = rt.clock.now()
    due_before = now - dt.timedelta(seconds=rt.policy.billing_period_seconds)
    servers = charged = 0
    seen: set[int] = set()
    while True:
        with rt.uow() as uow:
            candidates = [s for s in uow.servers.billable_before(due_before, batch) if s.id not in seen]
        if not candidates:
            break
        for candidate in candidates:
            seen.add(candidate.id)
            with rt.uow() as uow:
                server = uow.servers.get_for_update(candidate.id)
                if server is None or not server.status.billable or server.meter.billed_until > due_before:
                    continue  # another scheduler got there first, or the server changed meanwhile
                charged += bill_server(uow, server, now)
                uow.servers.update(server)
                uow.commit()
                servers += 1
    return BillingReport(servers, charged)
