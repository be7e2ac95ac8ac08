"""Metered billing: post what servers cost from their watermark to now.

Every charge is keyed by server and segment start, and posted in the same unit of work that moves
the watermark, so the run is safe to repeat and safe to run from several schedulers at once.
"""

from __future__ import annotations

import datetime as dt
import logging

import attrs

from domain.model.errors import DomainError
from domain.model.ledger import TxKind, charge
from domain.model.metering import bill
from domain.model.server import Server
from domain.usecases.runtime import Runtime
from ports.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


def bill_server(uow: UnitOfWork, server: Server, until: dt.datetime) -> int:
    """Charge the server's usage up to `until` and advance its meter. Returns micro-units
    charged."""
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
                memo=(
                    f"server {server.name}: "
                    f"{segment.start:%Y-%m-%d %H:%M:%S} to {segment.end:%Y-%m-%d %H:%M:%S} UTC"
                ),
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
    failed: int = 0


def billing_run(rt: Runtime, *, batch: int = 500) -> BillingReport:
    """Bill every server whose last posting is a billing period or more behind.

    Each server is billed in its own unit of work, so one broken row cannot hold back the others and
    a crash loses at most the server being billed (its watermark did not move, so the next run bills
    it).
    """
    now = rt.clock.now()
    due_before = now - dt.timedelta(seconds=rt.policy.billing_period_seconds)
    servers = charged = failed = 0
    seen: set[int] = set()
    while True:
        with rt.uow() as uow:
            # A watermark exactly one period behind is due, and the repository's bound is exclusive.
            behind = uow.servers.billable_before(due_before + dt.timedelta(microseconds=1), batch)
            candidates = [s for s in behind if s.id not in seen]
        if not candidates:
            break
        for candidate in candidates:
            seen.add(candidate.id)
            try:
                with rt.uow() as uow:
                    server = uow.servers.get_for_update(candidate.id)
                    if (
                        server is None
                        or not server.status.billable
                        or server.meter.billed_until > due_before
                    ):
                        # Another scheduler got there first, or the server changed meanwhile.
                        continue
                    charged += bill_server(uow, server, now)
                    uow.servers.update(server)
                    uow.commit()
                    servers += 1
            except DomainError as ex:
                # Rolled back: the watermark did not move, so the next run retries this server.
                log.error("billing server %s failed: %s (%s)", candidate.id, ex.message, ex.code)
                failed += 1
    return BillingReport(servers, charged, failed)
