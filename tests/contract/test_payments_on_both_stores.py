"""Top-ups on the memory store and on PostgreSQL alike: a payment's record, its credit once, its
refunds, the reconciliation's reads; and on PostgreSQL, notifications racing each other."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator

import attrs
import pytest

from adapters.memory import FakeClock, InlineJobQueue, InMemoryStore
from adapters.payments.sandbox import MemoryCheckoutStore, SandboxGateway
from adapters.postgres.sandbox_checkout import PostgresCheckoutStore
from adapters.postgres.uow import PostgresUnitOfWorkFactory
from domain.model.accounts import Role
from domain.model.commands import NewAccount
from domain.model.ledger import LedgerAccount, TxKind
from domain.model.payments import PaymentStatus, RefundPayment, RefundStatus, TopUp
from domain.usecases import accounts, payment_refunds, payments
from domain.usecases.actors import Actor
from domain.usecases.payment_reconcile import reconcile_payments
from domain.usecases.runtime import Runtime
from ports.paging import Page
from ports.unit_of_work import UnitOfWorkFactory
from tests.backoffice import FAST, Backoffice

from .postgres import PgDatabase

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
RUB_500 = 500_000_000


@attrs.frozen
class Shop:
    rt: Runtime
    clock: FakeClock
    gateway: SandboxGateway
    admin: Actor

    def customer(self, name: str) -> Actor:
        account = accounts.register(
            self.rt, NewAccount(f"{name}@example.com", "correct horse battery")
        )
        return Actor(account.id, Role.CUSTOMER)

    def wallet(self, actor: Actor) -> int:
        with self.rt.uow() as uow:
            return uow.ledger.balance(LedgerAccount.wallet(actor.account_id, "RUB"))

    def credits(self) -> list[int]:
        with self.rt.uow() as uow:
            return [tx.amount.micro for tx in uow.ledger.all() if tx.kind is TxKind.PAYMENT]


def _shop(request: pytest.FixtureRequest, kind: str) -> Shop:
    queue = InlineJobQueue()
    clock = FakeClock(T0)
    if kind == "memory":
        store: UnitOfWorkFactory = InMemoryStore(job_queue=queue)
        gateway = SandboxGateway(MemoryCheckoutStore(), clock, "http://shop.example")
    else:
        database: PgDatabase = request.getfixturevalue("pg_database")
        database.truncate()
        store = PostgresUnitOfWorkFactory(database.pool, job_queue=queue)
        gateway = SandboxGateway(PostgresCheckoutStore(database.pool), clock, "http://shop.example")
    rt = Backoffice(FAST, clock=clock, store=store, jobs=queue, payments=gateway).rt
    admin = accounts.register(
        rt, NewAccount("root@admin.example", "correct horse battery", role=Role.ADMIN)
    )
    return Shop(rt, clock, gateway, Actor(admin.id, Role.ADMIN))


@pytest.fixture(params=["memory", "postgres"])
def shop(request: pytest.FixtureRequest) -> Iterator[Shop]:
    yield _shop(request, request.param)


def test_a_payment_is_stored_paid_and_credited_once(shop: Shop) -> None:
    alice = shop.customer("alice")
    first = payments.start_payment(shop.rt, alice, TopUp("500.00", "k"))
    again = payments.start_payment(shop.rt, alice, TopUp("500.00", "k"))
    assert again == first
    shop.gateway.pay(first.gateway_payment_id)
    payments.settle_payment(shop.rt, first.gateway_payment_id)
    settled = payments.settle_payment(shop.rt, first.gateway_payment_id)
    assert settled.status is PaymentStatus.SUCCEEDED and settled.settled_at == T0
    assert shop.credits() == [RUB_500]
    assert shop.wallet(alice) == RUB_500
    assert payments.my_payment(shop.rt, alice, first.id) == settled


def test_lists_newest_first_and_pending_ones_for_the_reconciliation(shop: Shop) -> None:
    alice, bob = shop.customer("alice"), shop.customer("bob")
    made = []
    for n in range(3):
        made.append(payments.start_payment(shop.rt, alice, TopUp(f"{100 + n}.00", None)))
        shop.clock.advance(dt.timedelta(minutes=5))
    payments.start_payment(shop.rt, bob, TopUp("100.00", None))
    mine, total = payments.my_payments(shop.rt, alice, Page(1, 2))
    assert total == 3 and [p.id for p in mine] == [made[2].id, made[1].id]
    everyone, total = payments.list_payments(shop.rt, shop.admin, Page(), "pending")
    assert total == 4
    with shop.rt.uow() as uow:
        due = uow.payments.pending_before("sandbox", T0 + dt.timedelta(minutes=6), 10)
        assert uow.payments.pending_before("yookassa", T0 + dt.timedelta(minutes=6), 10) == []
    assert [p.id for p in due] == [made[0].id, made[1].id]
    shop.gateway.pay(made[0].gateway_payment_id)
    shop.clock.advance(dt.timedelta(minutes=20))
    report = reconcile_payments(shop.rt)
    assert (report.settled, report.still_pending) == (1, 3)
    assert shop.credits() == [100_000_000]


def test_refunds_in_parts_are_kept_with_their_payment(shop: Shop) -> None:
    alice = shop.customer("alice")
    payment = payments.start_payment(shop.rt, alice, TopUp("500.00", None))
    shop.gateway.pay(payment.gateway_payment_id)
    payments.settle_payment(shop.rt, payment.gateway_payment_id)
    for amount, key in (("100.00", "a"), ("150.00", "b"), ("100.00", "a")):
        after = payment_refunds.refund_payment(
            shop.rt, shop.admin, RefundPayment(payment.id, "asked", amount, key)
        )
    assert [(r.amount.micro, r.status) for r in after.refunds] == [
        (100_000_000, RefundStatus.SUCCEEDED),
        (150_000_000, RefundStatus.SUCCEEDED),
    ]
    assert after.refundable.micro == 250_000_000
    assert shop.wallet(alice) == 250_000_000
    with shop.rt.uow() as uow:
        assert uow.payments.with_pending_refunds("sandbox", 10) == []


def test_racing_notifications_credit_once_on_postgresql(request: pytest.FixtureRequest) -> None:
    shop = _shop(request, "postgres")
    alice = shop.customer("alice")
    payment = payments.start_payment(shop.rt, alice, TopUp("500.00", None))
    shop.gateway.pay(payment.gateway_payment_id)
    racers = 8
    start = threading.Barrier(racers)
    errors: list[BaseException] = []

    def notified() -> None:
        start.wait()
        try:
            payments.settle_payment(shop.rt, payment.gateway_payment_id)
        except BaseException as ex:  # noqa: BLE001 - reported below
            errors.append(ex)

    threads = [threading.Thread(target=notified) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert shop.credits() == [RUB_500]
    assert shop.wallet(alice) == RUB_500


def test_racing_creates_with_one_key_store_one_payment_on_postgresql(
    request: pytest.FixtureRequest,
) -> None:
    shop = _shop(request, "postgres")
    alice = shop.customer("alice")
    racers = 6
    start = threading.Barrier(racers)
    made: list[int] = []

    def create() -> None:
        start.wait()
        made.append(payments.start_payment(shop.rt, alice, TopUp("500.00", "same")).id)

    threads = [threading.Thread(target=create) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(made) == racers and len(set(made)) == 1
    assert payments.my_payments(shop.rt, alice, Page())[1] == 1


def test_pending_ones_are_counted_per_customer(shop: Shop) -> None:
    alice, bob = shop.customer("alice"), shop.customer("bob")
    first = payments.start_payment(shop.rt, alice, TopUp("100.00", None))
    payments.start_payment(shop.rt, alice, TopUp("100.00", None))
    payments.start_payment(shop.rt, bob, TopUp("100.00", None))
    shop.gateway.pay(first.gateway_payment_id)
    payments.settle_payment(shop.rt, first.gateway_payment_id)
    with shop.rt.uow() as uow:
        assert (
            uow.payments.pending_count(alice.account_id),
            uow.payments.pending_count(bob.account_id),
        ) == (1, 1)
