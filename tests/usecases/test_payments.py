"""Top-ups through the sandbox checkout: started, paid or canceled at the gateway, settled by the
gateway's word, credited once; refunds through the gateway; the reconciliation."""

from __future__ import annotations

import datetime as dt

import pytest

from adapters.payments.sandbox import SandboxGateway
from domain.model.dunning import Standing
from domain.model.errors import (
    InsufficientFunds,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    RuleViolation,
    ValidationError,
)
from domain.model.ledger import TxKind
from domain.model.payments import PaymentStatus, RefundPayment, TopUp
from domain.usecases import money, payment_refunds, payments
from domain.usecases.actors import Actor
from domain.usecases.payment_reconcile import reconcile_payments
from ports.paging import Page

from .support import World, micro, refused


def checkout(world: World) -> SandboxGateway:
    gateway = world.rt.payments
    assert isinstance(gateway, SandboxGateway)
    return gateway


def start(world: World, actor: Actor, amount: str = "500.00", key: str | None = "k1"):  # type: ignore[no-untyped-def]
    return payments.start_payment(world.rt, actor, TopUp(amount, key))


def paid(world: World, actor: Actor, amount: str = "500.00"):  # type: ignore[no-untyped-def]
    payment = start(world, actor, amount, key=None)
    checkout(world).pay(payment.gateway_payment_id)
    return payments.settle_payment(world.rt, payment.gateway_payment_id)


class TestStart:
    def test_opens_a_pending_payment_with_the_checkout_page(self, world: World) -> None:
        customer = world.customer(balance=None)
        payment = start(world, customer)
        assert payment.status is PaymentStatus.PENDING
        assert payment.amount.micro == micro("500.00")
        assert payment.confirmation_url.endswith(f"/sandbox/checkout/{payment.gateway_payment_id}")
        assert world.wallet(customer) == 0

    def test_the_same_request_key_opens_one_payment(self, world: World) -> None:
        customer = world.customer(balance=None)
        first, again = start(world, customer), start(world, customer)
        assert again.id == first.id
        assert payments.my_payments(world.rt, customer, Page())[1] == 1

    @pytest.mark.parametrize(
        ("amount", "error"),
        [
            ("99.99", RuleViolation),
            ("1000000.01", RuleViolation),
            ("100.001", RuleViolation),
            ("-5.00", ValidationError),
            ("lots", ValidationError),
        ],
    )
    def test_amounts_out_of_the_limits(self, world: World, amount: str, error: type) -> None:
        customer = world.customer(balance=None)
        refused(world, error, start, world, customer, amount, field="amount")


class TestSettle:
    def test_a_paid_payment_is_credited_once_however_often_it_is_settled(
        self, world: World
    ) -> None:
        customer = world.customer(balance=None)
        payment = start(world, customer)
        checkout(world).pay(payment.gateway_payment_id)
        for _ in range(3):
            settled = payments.settle_payment(world.rt, payment.gateway_payment_id)
        assert settled.status is PaymentStatus.SUCCEEDED
        assert world.wallet(customer) == micro("500.00")
        receipts = [n for n in world.notices(customer) if n.template == "payment_received"]
        assert [n.subject for n in receipts] == ["Payment received: 500.00 RUB"]
        credits = world.transactions(TxKind.PAYMENT)
        assert [tx.amount.micro for tx in credits] == [micro("500.00")]

    def test_a_payment_not_yet_paid_moves_nothing(self, world: World) -> None:
        customer = world.customer(balance=None)
        payment = start(world, customer)
        assert payments.settle_payment(world.rt, payment.gateway_payment_id).status is (
            PaymentStatus.PENDING
        )
        assert world.wallet(customer) == 0

    def test_a_canceled_payment_is_closed_and_moves_nothing(self, world: World) -> None:
        customer = world.customer(balance=None)
        payment = start(world, customer)
        checkout(world).cancel(payment.gateway_payment_id)
        checkout(world).pay(payment.gateway_payment_id)  # too late: the gateway keeps its word
        settled = payments.settle_payment(world.rt, payment.gateway_payment_id)
        assert settled.status is PaymentStatus.CANCELED
        assert world.wallet(customer) == 0

    @pytest.mark.parametrize("gateway_id", ["no-such-payment", "", "x" * 65])
    def test_a_payment_the_gateway_does_not_know(self, world: World, gateway_id: str) -> None:
        refused(world, NotFound, payments.settle_payment, world.rt, gateway_id)

    def test_paying_restores_a_restricted_account(self, world: World) -> None:
        customer = world.customer(balance="1.00")
        world.running_server(customer)
        world.clock.advance(dt.timedelta(hours=3))
        from domain.usecases.dunning import bill_and_reassess

        bill_and_reassess(world.rt)
        assert money.get_balance(world.rt, customer).standing is Standing.RESTRICTED
        paid(world, customer)
        assert money.get_balance(world.rt, customer).standing is Standing.ACTIVE
        assert world.templates(customer)[-1] == "account_restored"

    def test_another_customers_payment_is_not_found(self, world: World) -> None:
        owner, stranger = world.customer(balance=None), world.customer(balance=None)
        payment = start(world, owner)
        refused(world, NotFound, payments.my_payment, world.rt, stranger, payment.id)
        assert payments.my_payment(world.rt, world.admin, payment.id).id == payment.id


class TestRefund:
    def refund(self, world: World, payment_id: object, amount: object = None, key: str = "r1"):  # type: ignore[no-untyped-def]
        return payment_refunds.refund_payment(
            world.rt, world.admin, RefundPayment(payment_id, "customer asked", amount, key)
        )

    def test_a_partial_then_the_rest(self, world: World) -> None:
        customer = world.customer(balance=None)
        payment = paid(world, customer)
        self.refund(world, payment.id, "200.00")
        self.refund(world, payment.id, "200.00", key="r1")  # a retry: refunded once
        after = self.refund(world, payment.id, key="r2")
        assert after.refundable.micro == 0
        assert world.wallet(customer) == 0
        debits = world.transactions(TxKind.PAYMENT_REFUND)
        assert sorted(tx.amount.micro for tx in debits) == [micro("200.00"), micro("300.00")]
        refused(world, RuleViolation, self.refund, world, payment.id, "0.01", key="r3")

    def test_not_more_than_the_wallet_holds(self, world: World) -> None:
        customer = world.customer(balance=None)
        payment = paid(world, customer)
        world.running_server(customer)
        refused(world, InsufficientFunds, self.refund, world, payment.id)

    def test_only_a_succeeded_payment_and_only_by_an_admin(self, world: World) -> None:
        customer = world.customer(balance=None)
        payment = start(world, customer)
        refused(world, InvalidTransition, self.refund, world, payment.id)
        refused(world, NotFound, self.refund, world, 4242)
        refused(
            world,
            PermissionDenied,
            payment_refunds.refund_payment,
            world.rt,
            customer,
            RefundPayment(payment.id, "mine", request_key="x"),
        )


class TestReconcile:
    def test_a_payment_paid_but_never_reported_is_credited_once(self, world: World) -> None:
        customer = world.customer(balance=None)
        payment = start(world, customer)
        checkout(world).pay(payment.gateway_payment_id)  # and nobody told us
        assert reconcile_payments(world.rt).settled == 0  # too early: not pending long enough
        world.clock.advance(dt.timedelta(minutes=11))
        assert reconcile_payments(world.rt).settled == 1
        assert reconcile_payments(world.rt).settled == 0
        assert world.wallet(customer) == micro("500.00")

    def test_an_abandoned_payment_stays_pending_until_the_gateway_closes_it(
        self, world: World
    ) -> None:
        customer = world.customer(balance=None)
        payment = start(world, customer)
        world.clock.advance(dt.timedelta(minutes=11))
        assert reconcile_payments(world.rt).still_pending == 1
        checkout(world).cancel(payment.gateway_payment_id)
        assert reconcile_payments(world.rt).settled == 1
        assert payments.my_payment(world.rt, customer, payment.id).status is (
            PaymentStatus.CANCELED
        )

    def test_a_checkout_nobody_paid_for_an_hour_expires(self, world: World) -> None:
        customer = world.customer(balance=None)
        payment = start(world, customer)
        world.clock.advance(dt.timedelta(minutes=61))
        assert reconcile_payments(world.rt).settled == 1
        assert payments.my_payment(world.rt, customer, payment.id).status is (
            PaymentStatus.CANCELED
        )
        assert checkout(world).pay(payment.gateway_payment_id).status == "canceled"
        assert world.wallet(customer) == 0


def test_a_succeeded_payment_is_announced_once_to_the_customers_webhooks(world: World) -> None:
    import json

    from domain.model.webhooks import WebhookEvent
    from domain.usecases import webhooks

    customer = world.customer(balance=None)
    hook = webhooks.create_webhook(
        world.rt,
        customer,
        webhooks.NewWebhook(
            "http://127.0.0.1:9/hooks", frozenset({WebhookEvent.PAYMENT_SUCCEEDED})
        ),
    )
    payment = start(world, customer)
    checkout(world).pay(payment.gateway_payment_id)
    for _ in range(2):
        payments.settle_payment(world.rt, payment.gateway_payment_id)
    with world.rt.uow() as uow:
        made, _ = uow.deliveries.for_webhook(hook.webhook.id, Page())
    sent = [json.loads(d.body) for d in made]
    assert [(d["event"], d["data"]) for d in sent] == [
        (
            "payment.succeeded",
            {"paymentId": payment.id, "amount": {"amount": "500.00", "currency": "RUB"}},
        )
    ]


def test_at_most_ten_payments_are_open_at_once(world: World) -> None:
    from domain.model.errors import Conflict

    customer = world.customer(balance=None)
    opened = [start(world, customer, key=None) for _ in range(payments.MAX_OPEN_PAYMENTS)]
    refused(world, Conflict, start, world, customer, key=None)
    checkout(world).cancel(opened[0].gateway_payment_id)
    payments.settle_payment(world.rt, opened[0].gateway_payment_id)
    assert start(world, customer, key=None).status is PaymentStatus.PENDING
