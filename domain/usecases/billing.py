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
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

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
WORKERS = 2  # page loops per run: enough to overlap the computing with the database's work


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


def billing_run(rt: Runtime, *, batch: int = PAGE, workers: int = WORKERS) -> BillingReport:
    """Bill every server whose watermark is a billing period or more behind, a page at a time.

    Each page is one unit of work; a crash loses at most the pages being billed (their watermarks
    did not move, so the next run bills them). `workers` page loops run side by side, each on its
    own unit of work: while one waits for the database to write its page, another computes the
    next. They split the servers the way concurrent runs do: a server one of them holds is skipped
    by the others.
    """
    now = rt.clock.now()
    due_by = now - dt.timedelta(seconds=rt.policy.billing_period_seconds)
    claims = _Claims()
    if workers <= 1:
        return _bill_pages(rt, due_by, now, batch, claims).report()
    with ThreadPoolExecutor(workers, thread_name_prefix="billing") as pool:
        running = [pool.submit(_bill_pages, rt, due_by, now, batch, claims) for _ in range(workers)]
        tallies = [worker.result() for worker in running]
    return BillingReport(
        sum(t.servers for t in tallies),
        sum(t.charged for t in tallies),
        sum(t.failed for t in tallies),
        frozenset().union(*(t.wallets for t in tallies)),
    )


class _Claims:
    """The servers a run's page loops have taken on, so that a page one loop could not write (and
    is billing server by server) is not taken on again by another loop of the same run."""

    def __init__(self) -> None:
        self._taken: set[int] = set()
        self._lock = threading.Lock()

    def take(self, page: list[DueMeter]) -> list[DueMeter]:
        with self._lock:
            mine = [due for due in page if due.server_id not in self._taken]
            self._taken.update(due.server_id for due in mine)
        return mine


def _bill_pages(
    rt: Runtime, due_by: dt.datetime, now: dt.datetime, batch: int, claims: _Claims
) -> _Tally:
    tally = _Tally()
    after: DueMeter | None = None
    while True:
        written: list[BilledMeter] | None = None
        with rt.uow() as uow:
            page = uow.billing.due_meters(due_by, batch, after)
            if not page:
                break
            mine = claims.take(page)
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
