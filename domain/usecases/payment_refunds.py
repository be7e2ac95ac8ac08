"""Refunds of top-ups, through the gateway: an admin asks, the gateway's word debits.

A refund is debited from the wallet when the gateway says it succeeded (at once, or later by its
notification or the reconciliation), once, keyed by the gateway's refund id. A refund made at the
gateway by other means (its dashboard) is recorded and debited the same way when it is reported.
"""

from __future__ import annotations

from domain.model.errors import InsufficientFunds, NotFound
from domain.model.money import Money
from domain.model.payments import Payment, Refund, RefundPayment, RefundStatus, refund_debit
from domain.usecases.actors import Actor, account_of, wallet_balance
from domain.usecases.dunning import reassess_account
from domain.usecases.paper_trail import audit
from domain.usecases.payments import gateway_of, idempotence_key
from domain.usecases.runtime import Runtime
from ports.payments import GatewayRefund


def refund_payment(rt: Runtime, actor: Actor, command: RefundPayment) -> Payment:
    """Give (part of) a succeeded payment back to the payer; all that is left of it without an
    amount. The wallet must still hold it: money already spent on servers is not refunded."""
    actor.require_admin()
    gateway = gateway_of(rt)
    with rt.uow() as uow:
        payment = uow.payments.get(command.payment_id)
        if payment is None:
            raise NotFound("payment", command.payment_id)
        currency = payment.amount.currency
        value = payment.refundable if command.amount is None else command.amount.money(currency)
        payment.check_refund(value)
        available = wallet_balance(uow, account_of(uow, payment.customer_id))
    if value > available:
        raise InsufficientFunds(
            "the customer's balance no longer holds this amount",
            required=value.format(),
            available=available.max(Money.zero(value.currency)).format(),
            currency=value.currency,
        )
    key = idempotence_key("refund", payment.id, command.request_key or rt.secrets.token())
    remote = gateway.refund(payment.gateway_payment_id, value, key)
    apply_refund(rt, remote, reason=command.reason.text, actor=actor)
    with rt.uow() as uow:
        after = uow.payments.get(payment.id)
    assert after is not None
    return after


def settle_refund(rt: Runtime, gateway_refund_id: str) -> bool:
    """Bring a refund in line with the gateway's word (fetched, never taken from a notification);
    True when its status changed here. NotFound when the gateway or we do not know it."""
    gateway = gateway_of(rt)
    if not 1 <= len(gateway_refund_id) <= 64:
        raise NotFound("refund", gateway_refund_id)
    return apply_refund(rt, gateway.fetch_refund(gateway_refund_id))


def apply_refund(
    rt: Runtime, remote: GatewayRefund, *, reason: str = "", actor: Actor | None = None
) -> bool:
    gateway = gateway_of(rt)
    now = rt.clock.now()
    with rt.uow() as uow:
        payment = uow.payments.by_gateway_id(gateway.name, remote.payment_id, for_update=True)
        if payment is None:
            raise NotFound("payment", remote.payment_id)
        refund = payment.refund_named(remote.id)
        if refund is None:
            refund = Refund(
                remote.id,
                remote.amount,
                RefundStatus.PENDING,
                now,
                reason or "refund made at the gateway",
            )
            payment.refunds.append(refund)
            audit(uow, actor, "payment.refund", f"payment:{payment.id}", now, amount=remote.amount)
        changed = refund.status is RefundStatus.PENDING and remote.status != "pending"
        if changed and remote.status == "succeeded":
            refund.status = RefundStatus.SUCCEEDED
            uow.ledger.post(refund_debit(payment, refund, now))
        elif changed:
            refund.status = RefundStatus.CANCELED
        uow.payments.update(payment)
        uow.commit()
    if changed:
        reassess_account(rt, payment.customer_id)
    return changed
