"""Batch billing (`uow.billing`) on every store: the same books as billing server by server.

A page of due meters is read locked and written back at once; the charges and watermarks must be
exactly those that `bill_server` posts one server at a time, two runs at once must charge each
interval once, and a server whose charge cannot be posted must not hold back the others.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from typing import Any

import attrs
import psycopg
import pytest

from adapters.memory import FakeClock, InlineJobQueue
from adapters.postgres.uow import PostgresUnitOfWorkFactory
from domain.model.errors import AlreadyExists, Conflict
from domain.model.ledger import LedgerAccount, TxKind
from domain.model.ledger_movements import top_up
from domain.model.metering import Meter, bill
from domain.model.promo import DiscountTerms
from domain.model.server import ServerStatus
from domain.usecases.billing import BillingReport, bill_server, billing_run, usage_charges
from domain.usecases.runtime import Runtime
from ports.unit_of_work import UnitOfWork
from tests.backoffice import Backoffice

from . import builders as b
from .conftest import StoreRig
from .postgres import PgDatabase

NOW = dt.datetime(2026, 2, 1, 3, 0, tzinfo=dt.UTC)
DUE_BY = NOW - dt.timedelta(hours=1)


def _meter(billed_until: dt.datetime, **changes: Any) -> Meter:
    return attrs.evolve(Meter.start(b.rub(1), b.rub(730), DiscountTerms(), billed_until), **changes)


def assorted_servers() -> list[Any]:
    """Meters that take every turn of the metering rules, and servers that are not due."""
    january = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    return [
        b.server(1, 1, billed_until=NOW - dt.timedelta(hours=2, minutes=20)),
        # Across the month boundary, part of January still to bill.
        b.server(2, 1, billed_until=dt.datetime(2026, 1, 31, 21, 30, tzinfo=dt.UTC)),
        # A discount that ends in the middle of the gap.
        b.server(
            3,
            2,
            meter=_meter(
                NOW - dt.timedelta(hours=4),
                terms=DiscountTerms(25, NOW - dt.timedelta(hours=2, minutes=30)),
            ),
        ),
        # January's cap is nearly used up: only what is left of it is charged.
        b.server(
            4,
            2,
            meter=_meter(
                dt.datetime(2026, 1, 31, 20, 0, tzinfo=dt.UTC),
                month=january,
                month_seconds=729 * 3600,
                month_list_micro=b.rub(729).micro,
            ),
        ),
        # A watermark with a sub-second part, and a stopped server (billed as well).
        b.server(
            5,
            3,
            billed_until=NOW - dt.timedelta(hours=1, seconds=1, microseconds=250_000),
            status=ServerStatus.STOPPED,
        ),
        # Not due, and not billable.
        b.server(6, 3, billed_until=NOW - dt.timedelta(minutes=30)),
        b.server(7, 3, billed_until=NOW - dt.timedelta(hours=5), status=ServerStatus.DELETED),
        # Already paid up to the boundary of its period: due, but nothing to charge yet.
        b.server(8, 1, billed_until=DUE_BY),
        # Held by an admin's suspension: behind, but not billed while it holds.
        b.server(
            9,
            3,
            billed_until=NOW - dt.timedelta(hours=5),
            status=ServerStatus.SUSPENDED,
            suspended_by_admin=True,
        ),
    ]


def seeded(uow_factory: Callable[[], UnitOfWork]) -> Callable[[], UnitOfWork]:
    with uow_factory() as uow:
        for server in assorted_servers():
            uow.servers.add(server)
        uow.commit()
    return uow_factory


def books(uow_factory: Callable[[], UnitOfWork]) -> dict[str, Any]:
    """Everything billing writes, in a form two stores can be compared by."""
    with uow_factory() as uow:
        ledger = sorted(
            (
                tx.key,
                tx.kind,
                tx.memo,
                tx.created_at,
                tx.server_id,
                tx.catalogue_version,
                tx.customer_initiated,
                tuple((p.account.key, p.amount) for p in tx.postings),
            )
            for tx in uow.ledger.all()
        )
        meters = {s.id: uow.servers.get(s.id).meter for s in assorted_servers()}
    return {"ledger": ledger, "meters": meters}


def bill_one_by_one(uow_factory: Callable[[], UnitOfWork]) -> None:
    for server in assorted_servers():
        with uow_factory() as uow:
            found = uow.servers.get_for_update(server.id)
            if found.billable and found.meter.billed_until <= DUE_BY:
                bill_server(uow, found, NOW)
                uow.servers.update(found)
                uow.commit()


def bill_in_pages(uow_factory: Callable[[], UnitOfWork], limit: int) -> None:
    after = None
    while True:
        with uow_factory() as uow:
            page = uow.billing.due_meters(DUE_BY, limit, after)
            if not page:
                return
            uow.billing.record([usage_charges(due, NOW) for due in page])
            uow.commit()
        after = page[-1]


def runtime(uow_factory: Callable[[], UnitOfWork]) -> Runtime:
    jobs = InlineJobQueue(auto_run=False)
    return Backoffice(store=uow_factory, jobs=jobs, clock=FakeClock(NOW)).rt


# --- reading pages -------------------------------------------------------------------------------


def test_due_meters_come_oldest_watermark_first_a_page_at_a_time(uow_factory):
    seeded(uow_factory)
    pages = []
    after = None
    while True:
        with uow_factory() as uow:
            page = uow.billing.due_meters(DUE_BY, 2, after)
        if not page:
            break
        pages.append([due.server_id for due in page])
        after = page[-1]

    assert pages == [[4, 2], [3, 1], [5, 8]]


def test_a_due_meter_is_the_server_as_stored(uow_factory):
    seeded(uow_factory)
    with uow_factory() as uow:
        page = uow.billing.due_meters(DUE_BY, 10)
        stored = {due.server_id: uow.servers.get(due.server_id) for due in page}
    for due in page:
        server = stored[due.server_id]
        assert (due.owner_id, due.server_name, due.catalogue_version, due.meter) == (
            server.owner_id,
            server.name,
            server.catalogue_version,
            server.meter,
        )


# --- writing pages -------------------------------------------------------------------------------


@pytest.mark.parametrize("limit", [1, 3, 100])
def test_pages_post_the_same_books_as_billing_server_by_server(store_rig: StoreRig, limit):
    one_by_one = seeded(store_rig.fresh())
    bill_one_by_one(one_by_one)
    expected = books(one_by_one)

    in_pages = seeded(store_rig.fresh())
    bill_in_pages(in_pages, limit)

    assert books(in_pages) == expected
    assert len(expected["ledger"]) >= 6  # the assortment really charged something


def test_balances_move_by_what_the_page_charged(uow_factory):
    seeded(uow_factory)
    bill_in_pages(uow_factory, 100)
    with uow_factory() as uow:
        usage = [tx for tx in uow.ledger.all() if tx.kind is TxKind.USAGE]
        for owner in (1, 2, 3):
            owed = sum(
                tx.amount.micro for tx in usage if tx.postings[0].account.customer_id == owner
            )
            assert uow.ledger.balance(LedgerAccount.wallet(owner, b.RUB)) == -owed


def test_a_page_with_a_taken_key_writes_nothing(uow_factory):
    seeded(uow_factory)
    with uow_factory() as uow:
        page = uow.billing.due_meters(DUE_BY, 100)
    billed = [usage_charges(due, NOW) for due in page]
    taken = billed[-1].charges[0]
    with uow_factory() as uow:
        uow.ledger.post(top_up(1, b.rub(1), key=taken.key, now=NOW))
        uow.commit()
    before = books(uow_factory)

    with uow_factory() as uow, pytest.raises((AlreadyExists, Conflict)):
        uow.billing.due_meters(DUE_BY, 100)
        uow.billing.record(billed)
        uow.commit()

    assert books(uow_factory) == before


# --- the billing run -----------------------------------------------------------------------------


def test_the_run_bills_every_due_server_once(uow_factory):
    seeded(uow_factory)
    expected = sum(
        seg.charge.micro
        for s in assorted_servers()
        if s.billable and s.meter.billed_until <= DUE_BY
        for seg in bill(s.meter, NOW)[1]
    )

    report = billing_run(runtime(uow_factory), batch=2)

    assert report == BillingReport(servers=6, charged_micro=expected)
    assert billing_run(runtime(uow_factory), batch=2) == BillingReport(0, 0)


def test_two_runs_at_once_charge_each_interval_once(store_rig: StoreRig):
    one_by_one = seeded(store_rig.fresh())
    bill_one_by_one(one_by_one)
    expected = books(one_by_one)
    rt = runtime(seeded(store_rig.fresh()))
    start = threading.Barrier(2)
    reports: list[BillingReport] = []
    errors: list[BaseException] = []

    def run() -> None:
        start.wait()
        try:
            reports.append(billing_run(rt, batch=1))
        except BaseException as ex:  # pragma: no cover - surfaced by the assertion below
            errors.append(ex)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sum(r.servers for r in reports) == 6
    assert books(rt.uow) == expected


def test_a_server_whose_charge_cannot_be_posted_holds_back_no_other(uow_factory):
    seeded(uow_factory)
    broken = assorted_servers()[0]
    key = f"usage:{broken.id}:{int(broken.meter.billed_until.timestamp())}"
    with uow_factory() as uow:
        uow.ledger.post(top_up(1, b.rub(1), key=key, now=NOW))
        uow.commit()

    report = billing_run(runtime(uow_factory))

    assert (report.servers, report.failed) == (5, 1)
    after = books(uow_factory)
    assert after["meters"][broken.id] == broken.meter
    assert all(
        after["meters"][s.id].billed_until > s.meter.billed_until
        for s in assorted_servers()
        if s.id != broken.id and s.billable and s.meter.billed_until <= DUE_BY
    )


# --- PostgreSQL: rows held by another unit of work ----------------------------------------------


def test_a_page_held_by_one_unit_of_work_is_skipped_by_another(pg: PgDatabase):
    factory = PostgresUnitOfWorkFactory(pg.pool, job_queue=InlineJobQueue(auto_run=False))
    seeded(factory)
    with factory() as holder:
        held = [due.server_id for due in holder.billing.due_meters(DUE_BY, 2)]
        with factory() as other:
            rest = [due.server_id for due in other.billing.due_meters(DUE_BY, 100)]

    assert held == [4, 2]
    assert rest == [3, 1, 5, 8]


def test_a_page_leaves_balances_equal_to_their_postings(pg: PgDatabase):
    factory = PostgresUnitOfWorkFactory(pg.pool, job_queue=InlineJobQueue(auto_run=False))
    bill_in_pages(seeded(factory), 3)
    with psycopg.connect(pg.url) as conn:
        drift = conn.execute("SELECT count(*) FROM ledger_drift").fetchone()
        total = conn.execute("SELECT sum(amount), count(*) FROM postings").fetchone()
    assert drift == (0,)
    assert total[0] == 0 and total[1] >= 12


def test_postings_of_one_statement_still_keep_the_wallet_floor(pg: PgDatabase):
    # The posting trigger runs once per statement since 0004: a customer's overdraft written as
    # a single multi-row INSERT is refused all the same.
    with psycopg.connect(pg.url) as conn:
        conn.execute(
            "INSERT INTO account_balances (account_key, kind, currency, customer_id)"
            " VALUES ('wallet:RUB:1', 'wallet', 'RUB', 1), ('revenue:RUB', 'revenue', 'RUB', NULL)"
        )
        tx_id = conn.execute(
            "INSERT INTO ledger_transactions (key, kind, currency, created_at, memo,"
            " customer_initiated) VALUES ('overdraft', 'charge', 'RUB', now(), '', true)"
            " RETURNING id"
        ).fetchone()[0]
        with pytest.raises(psycopg.errors.CheckViolation, match="below zero"):
            conn.execute(
                "INSERT INTO postings (tx_id, position, account_key, amount)"
                " VALUES (%s, 0, 'wallet:RUB:1', -5), (%s, 1, 'revenue:RUB', 5)",
                (tx_id, tx_id),
            )


# --- PostgreSQL: what a page holds, and for how long ---------------------------------------------


def test_a_page_checks_its_books_in_its_write_not_at_commit(pg: PgDatabase):
    # The write ends by locking the page's wallets and REVENUE, held to COMMIT; checked at COMMIT
    # (as other writers are), those rows would be held through three checks a charge as well.
    factory = PostgresUnitOfWorkFactory(pg.pool, job_queue=InlineJobQueue(auto_run=False))
    seeded(factory)
    with factory() as uow:
        billed = [usage_charges(due, NOW) for due in uow.billing.due_meters(DUE_BY, 100)]
        conn = uow._connection()  # type: ignore[attr-defined]
        conn.execute("SELECT set_config('track_functions', 'pl', true)")
        uow.billing.record(billed)
        checks = conn.execute(
            "SELECT pg_stat_get_xact_function_calls('ledger_check_balanced'::regproc)"
        ).fetchone()[0]
        uow.commit()

    charges = [tx for result in billed for tx in result.charges]
    assert len(charges) >= 4
    assert checks == sum(1 + len(tx.postings) for tx in charges)


def test_checks_made_immediate_run_before_the_posting_trigger_waits_for_a_balance(pg: PgDatabase):
    # What the page relies on: a statement's row checks fire before its statement-level posting
    # trigger locks the balances. A bad page is refused at once, not after waiting for REVENUE.
    with psycopg.connect(pg.url) as holder, psycopg.connect(pg.url) as writer:
        holder.execute(
            "INSERT INTO account_balances (account_key, kind, currency, customer_id)"
            " VALUES ('wallet:RUB:1', 'wallet', 'RUB', 1), ('revenue:RUB', 'revenue', 'RUB', NULL)"
        )
        holder.commit()
        holder.execute(
            "SELECT 1 FROM account_balances WHERE account_key = 'revenue:RUB' FOR NO KEY UPDATE"
        )
        writer.execute("SET lock_timeout = '5s'")
        writer.execute("SET CONSTRAINTS postings_sum_to_zero, transaction_has_postings IMMEDIATE")
        with pytest.raises(psycopg.errors.CheckViolation, match="does not balance"):
            writer.execute(
                "WITH tx AS (INSERT INTO ledger_transactions (key, kind, currency, created_at,"
                " memo, customer_initiated) VALUES ('lopsided', 'usage', 'RUB', now(), '', false)"
                " RETURNING id)"
                " INSERT INTO postings (tx_id, position, account_key, amount)"
                " SELECT id, n, account, amount FROM tx,"
                " (VALUES (0, 'wallet:RUB:1', -5), (1, 'revenue:RUB', 4)) AS p (n, account, amount)"
            )


def test_a_page_waits_for_another_pages_balances_only_in_its_posting_trigger(pg: PgDatabase):
    # Two page loops move the same REVENUE row: the second does its inserts and checks while the
    # first is still open, and queues only where it must, for the balances, until that COMMIT.
    factory = PostgresUnitOfWorkFactory(pg.pool, job_queue=InlineJobQueue(auto_run=False))
    seeded(factory)
    with psycopg.connect(pg.url) as conn:
        conn.execute(
            "INSERT INTO account_balances (account_key, kind, currency, customer_id)"
            " SELECT 'wallet:RUB:' || c, 'wallet', 'RUB', c::bigint FROM generate_series(1, 3) c"
            " UNION ALL VALUES ('revenue:RUB', 'revenue', 'RUB', NULL::bigint)"
        )
    with factory() as first:
        first.billing.record(
            [usage_charges(due, NOW) for due in first.billing.due_meters(DUE_BY, 2)]
        )
        second = threading.Thread(target=bill_in_pages, args=(factory, 100))
        second.start()
        waiting = _statement_waiting_for_a_lock(pg.url)
        first.commit()
    second.join()

    assert waiting.lstrip().startswith("WITH txs AS"), waiting
    with psycopg.connect(pg.url) as conn:
        assert conn.execute("SELECT count(*) FROM ledger_drift").fetchone() == (0,)
    with factory() as uow:
        assert uow.billing.due_meters(DUE_BY, 100) == []


def _statement_waiting_for_a_lock(url: str) -> str:
    with psycopg.connect(url, autocommit=True) as conn:
        for _ in range(200):
            found = conn.execute(
                "SELECT query FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            ).fetchone()
            if found is not None:
                return str(found[0])
            time.sleep(0.05)
    raise AssertionError("no statement waited for a lock")
