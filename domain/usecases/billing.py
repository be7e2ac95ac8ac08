"""Metered billing: post what servers cost from their watermark to now.

Every charge is keyed by server and segment start, and posted in the same unit of work that moves
the watermark, so the run is safe to repeat and safe to run from several schedulers at once.

The run works a page of servers at a time (`uow.billing`): the store hands over a page of due
meters, locked; each is billed here by the domain's metering rules; the store writes the page's
charges and watermarks back in a constant number of statements. A page that cannot be written
(one server's charge collides with another movement, say) is billed again one server per unit of
work, so one broken server never holds back the others.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Protocol

import attrs

from domain.model.errors import DomainError
from domain.model.ledger import AccountKind, LedgerAccount, Transaction, TxKind
from domain.model.ledger_movements import charge
from domain.model.metering import bill
from domain.model.server import Server
from domain.usecases.runtime import Runtime
from ports.billing import BilledMeter, DueMeter
from ports.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

PAGE = 5_000


def usage_charges(due: DueMeter, until: dt.datetime) -> BilledMeter:
    """The meter advanced to `until` and the USAGE charges for the gap (none for a free segment)."""
    meter, segments = bill(due.meter, until)
    charges = tuple(
        charge(
            due.owner_id,
            segment.charge,
            key=f"usage:{due.server_id}:{int(segment.start.timestamp())}",
            now=until,
            memo=(
                f"server {due.server_name}: "
                f"{segment.start:%Y-%m-%d %H:%M:%S} to {segment.end:%Y-%m-%d %H:%M:%S} UTC"
            ),
            kind=TxKind.USAGE,
            server_id=due.server_id,
            catalogue_version=due.catalogue_version,
        )
        for segment in segments
        if segment.charge.micro > 0
    )
    return BilledMeter(due.server_id, meter, charges)


def bill_server(uow: UnitOfWork, server: Server, until: dt.datetime) -> int:
    """Charge the server's usage up to `until` and advance its meter. Returns micro-units
    charged."""
    billed = usage_charges(_due(server), until)
    for tx in billed.charges:
        uow.ledger.post(tx)
    server.meter = billed.meter
    return _charged(billed.charges)


@attrs.frozen
class BillingReport:
    servers: int
    charged_micro: int
    failed: int = 0
    # The wallets the run charged, for the standing to follow (`dunning.bill_and_reassess`).
    wallets: frozenset[LedgerAccount] = attrs.field(default=frozenset(), eq=False)


@attrs.define
class _Tally:
    servers: int = 0
    charged: int = 0
    failed: int = 0
    wallets: set[LedgerAccount] = attrs.field(factory=set)

    def count(self, charges: Iterable[Transaction]) -> None:
        for tx in charges:
            self.charged += tx.amount.micro
            self.wallets.update(
                p.account for p in tx.postings if p.account.kind is AccountKind.WALLET
            )

    def report(self) -> BillingReport:
        return BillingReport(self.servers, self.charged, self.failed, frozenset(self.wallets))


def merged(reports: Iterable[BillingReport]) -> BillingReport:
    """The report of page loops that ran side by side, as one run's."""
    reports = list(reports)
    return BillingReport(
        sum(r.servers for r in reports),
        sum(r.charged_micro for r in reports),
        sum(r.failed for r in reports),
        frozenset().union(*(r.wallets for r in reports)),
    )


@attrs.frozen
class BillingWindow:
    """One run's moment: what it bills up to (`now`) and which meters are due (behind `due_by`)."""

    due_by: dt.datetime
    now: dt.datetime

    @classmethod
    def of(cls, rt: Runtime) -> BillingWindow:
        now = rt.clock.now()
        return cls(now - dt.timedelta(seconds=rt.policy.billing_period_seconds), now)


class Claims(Protocol):
    """The servers a run has taken on, shared by page loops that run side by side: a page one loop
    could not write (and is billing server by server) is not taken on again by another. A single
    loop needs none: it never sees a page twice."""

    def take(self, page: list[DueMeter]) -> list[DueMeter]:
        """The meters of `page` no loop has taken yet, now taken by the caller."""
        ...


def billing_run(rt: Runtime, *, batch: int = PAGE) -> BillingReport:
    """Bill every server whose watermark is a billing period or more behind, a page at a time.

    Each page is one unit of work; a crash loses at most the pages being billed (their watermarks
    did not move, so the next run bills them). Several runs at once (schedulers, or the page
    loops of one, entrypoints/scheduler/billing.py) split the servers: a server one of them holds
    is skipped by the others.
    """
    return bill_pages(rt, BillingWindow.of(rt), batch=batch)


def bill_pages(
    rt: Runtime, window: BillingWindow, *, batch: int = PAGE, claims: Claims | None = None
) -> BillingReport:
    """One page loop of a run: page after page of the meters due in `window`."""
    return _bill_pages(rt, window.due_by, window.now, batch, claims).report()


def _bill_pages(
    rt: Runtime, due_by: dt.datetime, now: dt.datetime, batch: int, claims: Claims | None
) -> _Tally:
    tally = _Tally()
    after: DueMeter | None = None
    while True:
        written: list[BilledMeter] | None = None
        with rt.uow() as uow:
            page = uow.billing.due_meters(due_by, batch, after)
            if not page:
                break
            mine = claims.take(page) if claims is not None else page
            try:
                billed = [usage_charges(due, now) for due in mine]
                uow.billing.record(billed)
                uow.commit()
                written = billed
            except DomainError as ex:
                # Rolled back whole: nothing of the page was written, and its locks are released.
                log.warning(
                    "billing a page of %d servers failed: %s (%s); billing them one by one",
                    len(mine),
                    ex.message,
                    ex.code,
                )
        if written is not None:
            tally.servers += len(written)
            tally.count(tx for b in written for tx in b.charges)
        else:
            for due in mine:
                _bill_alone(rt, due.server_id, due_by, now, tally)
        if len(page) < batch:
            break  # the page came up short: nothing due is left past it
        after = page[-1]
    return tally


def _bill_alone(
    rt: Runtime, server_id: int, due_by: dt.datetime, now: dt.datetime, tally: _Tally
) -> None:
    try:
        with rt.uow() as uow:
            server = uow.servers.get_for_update(server_id)
            if server is None or not server.billable or server.meter.billed_until > due_by:
                return  # another scheduler got there first, or the server changed meanwhile
            charged = bill_server(uow, server, now)
            uow.servers.update(server)
            uow.commit()
        tally.servers += 1
        tally.charged += charged
        if charged:
            tally.wallets.add(LedgerAccount.wallet(server.owner_id, server.meter.hourly.currency))
    except DomainError as ex:
        # Rolled back: the watermark did not move, so the next run retries this server.
        log.error("billing server %s failed: %s (%s)", server_id, ex.message, ex.code)
        tally.failed += 1


def _due(server: Server) -> DueMeter:
    return DueMeter(server.id, server.owner_id, server.name, server.catalogue_version, server.meter)


def _charged(charges: tuple[Transaction, ...]) -> int:
    return sum(tx.amount.micro for tx in charges)
