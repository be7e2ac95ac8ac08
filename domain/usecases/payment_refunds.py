"""Refunds of top-ups, through the gateway: an admin asks, the gateway's word debits.

A refund is debited from the wallet when the gateway says it succeeded (at once, or later by its
notification or the reconciliation), once, keyed by the gateway's refund id. A refund made at the
gateway by other means (its dashboard) is recorded and debited the same way when it is reported.
"""

from __future__ import annotations

from domain.model.errors import InsufficientFunds, NotFound, ValidationError
from domain.model.money import Money
from domain.model.payments import Payment, Refund, RefundStatus, refund_debit
from domain.usecases.common import Actor, account_of, audit, wallet_balance
from domain.usecases.dunning import reassess_account
from domain.usecases.payments import gateway_of, idempotence_key
from domain.usecases.runtime import Runtime
from ports.payments import GatewayRefund


def refund_payment(
    rt: Runtime,
    actor: Actor,
    *,
    payment_id: object,
    amount: object = None,
    reason: object,
    request_key: str | None,
) -> Payment:
    """Give (part of) a succeeded payment back to the payer; all that is left of it without an
    amount. The wallet must still hold it: money already spent on servers is not refunded."""
    actor.require_admin()
    gateway = gateway_of(rt)
    if not isinstance(reason, str) or not 3 <= len(reason.strip()) <= 250:
        raise ValidationError("reason", "must be 3-250 characters")
    with rt.uow() as uow:
        payment = uow.payments.get(payment_id) if type(payment_id) is int else None
        if payment is None:
            raise NotFound("payment", payment_id)
        value = (
            payment.refundable if amount is None else Money.parse(amount, payment.amount.currency)
        )
        payment.check_refund(value)
        available = wallet_balance(uow, account_of(uow, payment.customer_id))
    if value > available:
        raise InsufficientFunds(
            "the customer's balance no longer holds this amount",
            required=value.format(),
            available=available.max(Money.zero(value.currency)).format(),
            currency=value.currency,
        )
    key = idempotence_key("refund", payment.id, request_key or rt.secrets.token())
    remote = gateway.refund(payment.gateway_payment_id, value, key)
    apply_refund(rt, remote, reason=reason.strip(), actor=actor)
    with rt.uow() as uow:
        after = uow.payments.get(payment.id)
    assert after is not None
    return after


def settle_refund(rt: Runtime, gateway_refund_id: object) -> bool:
    """Bring a refund in line with the gateway's word (fetched, never taken from a notification);
    True when its status changed here. NotFound when the gateway or we do not know it."""
    gateway = gateway_of(rt)
    if not isinstance(gateway_refund_id, str) or not 1 <= len(gateway_refund_id) <= 64:
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
