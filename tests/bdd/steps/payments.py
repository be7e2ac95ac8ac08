"""Top-ups: a payment started, paid or canceled at the sandbox's checkout (the gateway), settled by
the gateway's word; the reconciliation; an administrator's refunds."""

from __future__ import annotations

import pytest
from pytest_bdd import given, parsers, then, when

from adapters.payments.sandbox import SandboxGateway
from domain.model.errors import NotFound
from domain.model.ledger import TxKind
from domain.model.payments import Payment, RefundPayment, TopUp
from domain.usecases import payment_refunds, payments
from domain.usecases.payment_reconcile import reconcile_payments
from ports.paging import Page

from .common import NAME, Outcome, Shop, attempt, same_money

MONEY = r"(?P<value>\d+\.\d+)"


def checkout(shop: Shop) -> SandboxGateway:
    gateway = shop.rt.payments
    assert isinstance(gateway, SandboxGateway)
    return gateway


def latest(shop: Shop, name: str) -> Payment:
    found, _ = payments.my_payments(shop.rt, shop.customer(name).actor, Page())
    return found[0]


def start(shop: Shop, name: str, value: str, key: str | None = None) -> Payment:
    actor = shop.customer(name).actor
    return payments.start_payment(shop.rt, actor, TopUp(value, key))


def pay_at_checkout(shop: Shop, name: str) -> None:
    payment = latest(shop, name)
    checkout(shop).pay(payment.gateway_payment_id)
    payments.settle_payment(shop.rt, payment.gateway_payment_id)  # as the page does


@given(parsers.re(rf"^{NAME} has started a top-up of {MONEY}$"))
def _started(shop: Shop, name: str, value: str) -> None:
    start(shop, name, value)


@when(parsers.re(rf"^{NAME} starts a top-up of {MONEY}$"), target_fixture="outcome")
def _starts(shop: Shop, name: str, value: str) -> Outcome:
    return attempt(lambda: start(shop, name, value))


@when(parsers.re(rf'^{NAME} starts a top-up of {MONEY} with the key "(?P<key>[^"]+)"$'))
def _starts_with_key(shop: Shop, name: str, value: str, key: str) -> None:
    start(shop, name, value, key)


@given(parsers.re(rf"^{NAME} pays it at the checkout$"))
@when(parsers.re(rf"^{NAME} pays it at the checkout$"))
def _pays_at_checkout(shop: Shop, name: str) -> None:
    pay_at_checkout(shop, name)


@when(parsers.re(r"^the checkout is posted (?P<times>\d+) more times$"))
def _posted_again(shop: Shop, times: str) -> None:
    for _ in range(int(times)):
        pay_at_checkout(shop, next(iter(shop.customers)))


@when(parsers.re(rf"^{NAME} cancels it at the checkout$"))
def _cancels(shop: Shop, name: str) -> None:
    payment = latest(shop, name)
    checkout(shop).cancel(payment.gateway_payment_id)
    payments.settle_payment(shop.rt, payment.gateway_payment_id)


@when(parsers.re(rf"^{NAME} pays {MONEY}$"))
def _pays(shop: Shop, name: str, value: str) -> None:
    start(shop, name, value)
    pay_at_checkout(shop, name)


@when(parsers.re(rf"^we are told {NAME}'s top-up succeeded before (?:she|he) paid$"))
def _told_early(shop: Shop, name: str) -> None:
    # A notification only names the payment: the gateway is asked, and says it is still pending.
    payments.settle_payment(shop.rt, latest(shop, name).gateway_payment_id)


@when("we are told a payment the gateway never made succeeded")
def _told_of_nothing(shop: Shop) -> None:
    with pytest.raises(NotFound):
        payments.settle_payment(shop.rt, "2419a771-000f-5000-9000-1edaf29243f2")


@given("the buyer paid at the gateway and no one told us")
def _paid_quietly(shop: Shop) -> None:
    payment = latest(shop, next(iter(shop.customers)))
    checkout(shop).pay(payment.gateway_payment_id)


@when("the payments reconciliation runs")
def _reconciles(shop: Shop) -> None:
    reconcile_payments(shop.rt)


@when(parsers.re(rf"^the administrator refunds {MONEY} of {NAME}'s top-up$"))
def _refunds_part(shop: Shop, value: str, name: str) -> None:
    command = RefundPayment(latest(shop, name).id, "asked by the customer", value, f"r-{value}")
    payment_refunds.refund_payment(shop.rt, shop.admin, command)


@when(parsers.re(rf"^the administrator refunds the rest of {NAME}'s top-up$"))
def _refunds_rest(shop: Shop, name: str) -> None:
    command = RefundPayment(latest(shop, name).id, "asked by the customer", request_key="rest")
    payment_refunds.refund_payment(shop.rt, shop.admin, command)


@then(parsers.re(rf"^{NAME}'s top-up is (?P<status>pending|succeeded|canceled)$"))
def _status(shop: Shop, name: str, status: str) -> None:
    assert latest(shop, name).status.value == status


@then(parsers.re(rf"^{NAME}'s top-up has {MONEY} refunded$"))
def _refunded(shop: Shop, name: str, value: str) -> None:
    same_money(latest(shop, name).refunded, value)


@then(parsers.re(rf"^{NAME}'s transactions show one payment of {MONEY}$"))
def _one_payment(shop: Shop, name: str, value: str) -> None:
    with shop.rt.uow() as uow:
        txs, _ = uow.ledger.for_customer(shop.customer(name).id, Page(1, 100))
    paid = [tx for tx in txs if tx.kind is TxKind.PAYMENT]
    assert len(paid) == 1
    same_money(paid[0].amount, value)


@then(parsers.re(rf"^{NAME} has no top-ups$"))
def _none(shop: Shop, name: str) -> None:
    assert payments.my_payments(shop.rt, shop.customer(name).actor, Page())[1] == 0


@then(parsers.re(rf"^{NAME} has (?P<count>\d+) top-ups?$"))
def _count(shop: Shop, name: str, count: str) -> None:
    assert payments.my_payments(shop.rt, shop.customer(name).actor, Page())[1] == int(count)
