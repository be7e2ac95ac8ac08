"""Use cases racing each other on PostgreSQL: the money rules hold under real concurrency.

The back office is wired by the composition root with the PostgreSQL unit of work and the fake
hypervisor and firewall. (Racing promo redemptions, charges and allocations are in the contract
suites, which run on PostgreSQL too.)
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator

import attrs
import psycopg
import pytest

from adapters.memory import FakeClock, InlineJobQueue
from adapters.postgres.uow import PostgresUnitOfWorkFactory
from domain.model.accounts import Role, TokenKind
from domain.model.commands import (
    BalanceAdjustment,
    Credentials,
    NewAccount,
    NewToken,
    OrderRequest,
    ResetConfirmation,
)
from domain.model.errors import InsufficientFunds
from domain.model.ledger import AccountKind, LedgerAccount, TxKind
from domain.model.metering import bill
from domain.model.money import Money
from domain.model.server import ServerStatus
from domain.usecases import accounts, billing, ordering
from domain.usecases.actors import Actor
from domain.usecases.catalogue import quote_order
from domain.usecases.money import adjust_balance
from domain.usecases.runtime import Runtime
from tests.backoffice import Backoffice

from . import builders as b
from .postgres import PgDatabase

NOW = dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.UTC)


@attrs.define
class Shop:
    rt: Runtime
    jobs: InlineJobQueue
    database: PgDatabase
    admin: Actor

    def customer(self, email: str, balance: Money) -> Actor:
        account = accounts.register(self.rt, NewAccount(email, "correct horse battery"))
        actor = Actor(account.id, Role.CUSTOMER)
        adjust_balance(
            self.rt,
            self.admin,
            BalanceAdjustment(
                actor.account_id,
                balance.format(6),
                "credit for the test",
                request_key=f"credit-{email}",
            ),
        )
        return actor

    def balance(self, kind: AccountKind, customer: Actor | None = None) -> int:
        account = LedgerAccount(kind, "RUB", customer.account_id if customer else None)
        with self.rt.uow() as uow:
            return uow.ledger.balance(account)

    def books_balance(self) -> bool:
        with psycopg.connect(self.database.url) as conn:
            total = conn.execute("SELECT coalesce(sum(amount), 0) FROM postings").fetchone()[0]
            drift = conn.execute("SELECT count(*) FROM ledger_drift").fetchone()[0]
        return total == 0 and drift == 0


@pytest.fixture
def shop(pg: PgDatabase) -> Iterator[Shop]:
    jobs = InlineJobQueue(auto_run=False)
    store = PostgresUnitOfWorkFactory(pg.pool, job_queue=jobs)
    rt = Backoffice(store=store, jobs=jobs, clock=FakeClock(NOW)).rt
    admin = accounts.register(
        rt, NewAccount("root@admin.example", "correct horse battery", role=Role.ADMIN)
    )
    yield Shop(rt, jobs, pg, Actor(admin.id, Role.ADMIN))


def race(threads: int, work) -> list[str]:
    start = threading.Barrier(threads)
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(n: int) -> None:
        start.wait()
        try:
            work(n)
            outcome = "ok"
        except InsufficientFunds:
            outcome = "insufficient_funds"
        except Exception as ex:  # noqa: BLE001 - any other outcome fails the test below
            outcome = repr(ex)
        with lock:
            outcomes.append(outcome)

    workers = [threading.Thread(target=run, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return outcomes


def test_fifty_orders_against_a_balance_that_covers_five_accept_exactly_five(shop: Shop):
    order = OrderRequest(os_id=1, tariff_id=1)
    first_charge = quote_order(shop.rt, None, order).quote.first_charge
    customer = shop.customer("racer@example.com", first_charge * 6 - Money(1, "RUB"))

    lowest = [shop.balance(AccountKind.WALLET, customer)]
    racing = threading.Event()

    def watch() -> None:  # the balance as other units of work see it, all through the race
        while racing.is_set():
            lowest[0] = min(lowest[0], shop.balance(AccountKind.WALLET, customer))

    racing.set()
    watcher = threading.Thread(target=watch)
    watcher.start()
    outcomes = race(50, lambda n: ordering.create_server(shop.rt, customer, order))
    racing.clear()
    watcher.join()

    assert outcomes.count("ok") == 5, outcomes
    assert outcomes.count("insufficient_funds") == 45, outcomes
    assert lowest[0] >= 0
    assert shop.balance(AccountKind.WALLET, customer) == first_charge.micro - 1
    assert shop.balance(AccountKind.HOLDS, customer) == 5 * first_charge.micro
    assert shop.books_balance()

    assert shop.jobs.run_pending() == 5 and shop.jobs.failed == []
    with shop.rt.uow() as uow:
        servers = uow.servers.for_owner(customer.account_id)
    assert [s.status for s in servers] == [ServerStatus.RUNNING] * 5
    assert shop.balance(AccountKind.HOLDS, customer) == 0
    assert shop.balance(AccountKind.REVENUE) == 5 * first_charge.micro
    assert shop.books_balance()


def test_two_billing_runs_at_once_charge_each_interval_once(shop: Shop):
    customer = shop.customer("billed@example.com", Money.of(1, "RUB"))
    behind = NOW - dt.timedelta(hours=3, minutes=20)
    with shop.rt.uow() as uow:
        servers = [
            b.server(uow.servers.next_id(), customer.account_id, billed_until=behind)
            for _ in range(12)
        ]
        for server in servers:
            uow.servers.add(server)
        uow.commit()
    expected = sum(seg.charge.micro for s in servers for seg in bill(s.meter, NOW)[1])
    assert expected > 0

    reports: list[billing.BillingReport] = []
    outcomes = race(2, lambda n: reports.append(billing.billing_run(shop.rt)))

    assert outcomes == ["ok", "ok"]
    assert sum(r.servers for r in reports) == len(servers)
    assert sum(r.charged_micro for r in reports) == expected
    with shop.rt.uow() as uow:
        usage = [tx for tx in uow.ledger.all() if tx.kind is TxKind.USAGE]
        watermarks = {uow.servers.get(s.id).meter.billed_until for s in servers}
    assert sum(tx.amount.micro for tx in usage) == expected
    assert len({tx.key for tx in usage}) == len(usage)
    assert watermarks == {NOW}
    assert shop.balance(AccountKind.WALLET, customer) == Money.of(1, "RUB").micro - expected
    assert shop.books_balance()


def test_provisioning_jobs_racing_for_addresses_vlans_and_vmids_all_succeed(shop: Shop):
    """Eight sagas at once for two customers read the same free address, VLAN and vmid; the
    losers of each race look again instead of failing the order."""
    from domain.usecases.provisioning import provision_server

    order = OrderRequest(os_id=1, tariff_id=1)
    first_charge = quote_order(shop.rt, None, order).quote.first_charge
    customers = [shop.customer(f"c{n}@example.com", first_charge * 5) for n in range(2)]
    for customer in customers:
        for _ in range(4):
            ordering.create_server(shop.rt, customer, order)
    jobs = list(shop.jobs.pending)
    shop.jobs.clear()
    assert len(jobs) == 8

    outcomes = race(8, lambda n: provision_server(shop.rt, **jobs[n].args))

    assert outcomes == ["ok"] * 8
    with shop.rt.uow() as uow:
        servers = [s for c in customers for s in uow.servers.for_owner(c.account_id)]
    assert [s.status for s in servers] == [ServerStatus.RUNNING] * 8, [
        s.failure_reason for s in servers
    ]
    placements = [s.placement for s in servers]
    assert len({p.vmid for p in placements}) == len({p.ip_address for p in placements}) == 8
    vlans = [{s.placement.vlan for s in servers if s.owner_id == c.account_id} for c in customers]
    assert all(len(tags) == 1 for tags in vlans) and vlans[0] != vlans[1]
    assert {shop.rt.hypervisor.find_guest(p.vmid).status for p in placements} == {"running"}
    assert shop.books_balance()


def test_racing_orders_never_pass_the_server_cap(shop: Shop):
    order = OrderRequest(os_id=1, tariff_id=1)
    first_charge = quote_order(shop.rt, None, order).quote.first_charge
    cap = shop.rt.policy.max_servers_per_customer
    customer = shop.customer("many@example.com", first_charge * (cap + 10))

    outcomes = race(cap + 8, lambda n: ordering.create_server(shop.rt, customer, order))

    assert outcomes.count("ok") == cap, outcomes
    assert all("AccountRestricted" in o for o in outcomes if o != "ok"), outcomes
    with shop.rt.uow() as uow:
        assert len(uow.servers.for_owner(customer.account_id)) == cap
    assert shop.balance(AccountKind.HOLDS, customer) == cap * first_charge.micro
    assert shop.books_balance()


class SlowMailer:
    """Records what it sends and takes its time, so that two deliveries overlap."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self._lock = threading.Lock()

    def send(self, mail) -> None:
        time.sleep(0.02)
        with self._lock:
            self.sent.append(mail.message_id)


def test_two_deliveries_at_once_send_every_notice_once(shop: Shop):
    from domain.usecases.notices import deliver_notices

    with shop.rt.uow() as uow:
        for _ in range(20):
            uow.outbox.add(b.notice(uow.outbox.next_id()))
        uow.commit()
        ids = [n.id for n in uow.outbox.pending(100)]  # with the admin's welcome
    assert len(ids) > 20
    mailer = SlowMailer()
    rt = attrs.evolve(shop.rt, mailer=mailer)

    outcomes = race(2, lambda n: deliver_notices(rt))

    assert outcomes == ["ok", "ok"]
    assert sorted(mailer.sent) == sorted(f"notice-{nid}@hostprovider" for nid in ids)
    with shop.rt.uow() as uow:
        assert uow.outbox.pending(100) == []


def _unbounded(rt: Runtime) -> Runtime:
    """The runtime with a hasher that takes every caller: these races are about the database,
    not the process's hashing slots."""
    from adapters.security import Argon2PasswordHasher

    return attrs.evolve(rt, hasher=Argon2PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


def test_racing_token_creations_never_pass_the_token_cap(shop: Shop):
    account = accounts.register(shop.rt, NewAccount("tokens@example.com", "correct horse battery"))
    actor = Actor(account.id, Role.CUSTOMER)
    cap = shop.rt.policy.max_tokens_per_customer

    outcomes = race(cap + 10, lambda n: accounts.create_token(shop.rt, actor, NewToken(f"t{n}")))

    assert outcomes.count("ok") == cap, outcomes
    assert all("too many tokens" in o for o in outcomes if o != "ok"), outcomes
    assert len(accounts.list_tokens(shop.rt, actor)) == cap


def test_racing_logins_never_pass_the_session_cap(shop: Shop):
    rt = _unbounded(shop.rt)
    email, password = "sessions@example.com", "correct horse battery"
    account = accounts.register(rt, NewAccount(email, password))
    cap = rt.policy.max_sessions_per_account

    outcomes = race(cap + 10, lambda n: accounts.login(rt, Credentials(email, password)))

    assert outcomes == ["ok"] * (cap + 10)
    with rt.uow() as uow:
        assert len(uow.tokens.for_account(account.id, TokenKind.SESSION)) == cap


def test_a_reset_link_confirmed_twice_at_once_works_once(shop: Shop):
    from domain.usecases import passwords

    rt = _unbounded(shop.rt)
    account = accounts.register(rt, NewAccount("reset@example.com", "correct horse battery"))
    with rt.uow() as uow:
        link = accounts.issue_token(
            rt, uow, account.id, TokenKind.RESET, "password reset", NOW + dt.timedelta(minutes=30)
        )
        uow.commit()

    outcomes = race(
        4,
        lambda n: passwords.confirm_password_reset(
            rt, ResetConfirmation(link.secret, f"new passphrase {n}")
        ),
    )

    assert outcomes.count("ok") == 1, outcomes
    assert all("LinkNotFound" in o for o in outcomes if o != "ok"), outcomes


def test_an_order_while_a_billing_page_holds_the_wallet_waits_for_it_and_both_charge_once(
    shop: Shop,
):
    order = OrderRequest(os_id=1, tariff_id=1)
    first_charge = quote_order(shop.rt, None, order).quote.first_charge
    customer = shop.customer("billed-and-ordering@example.com", Money.of(10, "RUB"))
    with shop.rt.uow() as uow:
        server = b.server(
            uow.servers.next_id(), customer.account_id, billed_until=NOW - dt.timedelta(hours=3)
        )
        uow.servers.add(server)
        uow.commit()
    due = sum(seg.charge.micro for seg in bill(server.meter, NOW)[1])
    placed: list[ordering.CreatedServer] = []

    with shop.rt.uow() as page:  # a billing page written and not committed: the wallet is held
        meters = page.billing.due_meters(NOW - dt.timedelta(hours=1), 10)
        page.billing.record([billing.usage_charges(meter, NOW) for meter in meters])
        ordering_thread = threading.Thread(
            target=lambda: placed.append(ordering.create_server(shop.rt, customer, order))
        )
        ordering_thread.start()
        waited = _waits_for_a_lock(shop.database.url)
        page.commit()
    ordering_thread.join()

    assert waited and len(placed) == 1
    assert shop.balance(AccountKind.WALLET, customer) == (
        Money.of(10, "RUB").micro - due - first_charge.micro
    )
    assert shop.balance(AccountKind.HOLDS, customer) == first_charge.micro
    with shop.rt.uow() as uow:
        usage = [tx for tx in uow.ledger.all() if tx.kind is TxKind.USAGE]
    assert [tx.amount.micro for tx in usage] == [due]
    assert shop.books_balance()


def _waits_for_a_lock(url: str) -> bool:
    with psycopg.connect(url, autocommit=True) as conn:
        for _ in range(200):
            if conn.execute(
                "SELECT 1 FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            ).fetchone():
                return True
            time.sleep(0.05)
    return False


def test_a_page_and_its_total_agree_while_transactions_are_posted(pg: PgDatabase):
    """A list's page and its total come from one snapshot: a transaction committed meanwhile is
    either on the page and counted, or neither (counted apart, the total once said 9 of a page of
    10, in the e2e lifecycle while a saga captured its hold)."""
    from domain.model.ledger_movements import top_up
    from ports.paging import Page

    factory = PostgresUnitOfWorkFactory(pg.pool, job_queue=InlineJobQueue(auto_run=False))
    with factory() as uow:
        uow.accounts.add(b.account(1))
        uow.commit()
    posting, disagreements = True, []

    def post() -> None:
        n = 0
        while posting and n < 90:  # a page of 100 holds them all
            n += 1
            with factory() as uow:
                uow.ledger.post(top_up(1, Money(1_000_000, "RUB"), key=f"t{n}", now=b.T0))
                uow.commit()

    writer = threading.Thread(target=post)
    writer.start()
    try:
        for _ in range(300):
            with factory() as uow:
                found, total = uow.ledger.for_customer(1, Page(1, 100))
            if total != len(found):
                disagreements.append((total, len(found)))
    finally:
        posting = False
        writer.join()
    assert disagreements == []
