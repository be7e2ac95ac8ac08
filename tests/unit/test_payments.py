"""The payment aggregate: its moves, the credit and refund postings, the limits of a top-up."""

from __future__ import annotations

import datetime as dt

import pytest

from domain.model.errors import InvalidTransition, RuleViolation
from domain.model.ledger import AccountKind, TxKind
from domain.model.money import Money
from domain.model.payments import (
    Payment,
    PaymentLimits,
    PaymentStatus,
    Refund,
    RefundStatus,
    refund_debit,
)

NOW = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def rub(text: str) -> Money:
    return Money.parse(text, "RUB")


def payment(status: PaymentStatus = PaymentStatus.PENDING) -> Payment:
    return Payment(7, 3, rub("500.00"), "yookassa", "gw-1", "https://pay", status, NOW)


def test_succeeding_credits_the_wallet_from_payments_keyed_by_the_gateway_id() -> None:
    p = payment()
    tx = p.succeed(NOW)
    assert (p.status, p.settled_at) == (PaymentStatus.SUCCEEDED, NOW)
    assert (tx.key, tx.kind, tx.amount) == ("payment:yookassa:gw-1", TxKind.PAYMENT, rub("500.00"))
    assert {(q.account.kind, q.amount) for q in tx.postings} == {
        (AccountKind.PAYMENTS, -500_000_000),
        (AccountKind.WALLET, 500_000_000),
    }
    assert not tx.customer_initiated
    with pytest.raises(InvalidTransition):
        p.succeed(NOW)
    with pytest.raises(InvalidTransition):
        p.cancel(NOW)


def test_refunds_count_pending_ones_and_never_exceed_the_payment() -> None:
    p = payment(PaymentStatus.SUCCEEDED)
    p.refunds.append(Refund("r1", rub("200.00"), RefundStatus.PENDING, NOW))
    p.refunds.append(Refund("r2", rub("50.00"), RefundStatus.CANCELED, NOW))
    assert p.refundable == rub("300.00")
    p.check_refund(rub("300.00"))
    with pytest.raises(RuleViolation):
        p.check_refund(rub("300.01"))
    with pytest.raises(InvalidTransition):
        payment().check_refund(rub("1.00"))
    debit = refund_debit(p, p.refunds[0], NOW)
    assert (debit.key, debit.kind) == ("payment-refund:yookassa:r1", TxKind.PAYMENT_REFUND)
    assert debit.change_for(next(q.account for q in debit.postings if q.amount < 0)) == (
        -200_000_000
    )


@pytest.mark.parametrize("text", ["99.99", "100.001", "1000.01", "-1.00"])
def test_limits_refuse(text: str) -> None:
    with pytest.raises(RuleViolation):
        PaymentLimits(rub("100.00"), rub("1000.00")).check(rub(text))
    PaymentLimits(rub("100.00"), rub("1000.00")).check(rub("1000.00"))
