"""The payments' reconciliation tick: what no notification told us, asked of the gateway."""

from __future__ import annotations

import logging

import attrs

from domain.model.errors import Conflict, NotFound, Unavailable
from domain.model.payments import PaymentStatus, RefundStatus
from domain.usecases.payment_refunds import settle_refund
from domain.usecases.payments import settle_payment
from domain.usecases.runtime import Runtime

log = logging.getLogger("hostprovider.payments")


@attrs.frozen
class PaymentReconciliation:
    settled: int
    still_pending: int
    refunds_settled: int
    errors: int


def reconcile_payments(rt: Runtime, *, limit: int = 100) -> PaymentReconciliation:
    """The tick: payments pending longer than the policy's wait are fetched from the gateway and
    settled (one that succeeded without a notification reaching us is credited here, once), and
    refunds still pending are settled likewise."""
    if rt.payments is None:
        return PaymentReconciliation(0, 0, 0, 0)
    before = rt.clock.now() - rt.policy.payment_reconcile_after
    with rt.uow() as uow:
        # Only the configured gateway's: one configured before cannot be asked any more.
        due = uow.payments.pending_before(rt.payments.name, before, limit)
        refunding = uow.payments.with_pending_refunds(rt.payments.name, limit)
    settled = pending = refunds = errors = 0
    for payment in due:
        try:
            after = settle_payment(rt, payment.gateway_payment_id)
        except (NotFound, Conflict, Unavailable) as ex:
            log.warning("payment %s not reconciled: %s", payment.id, ex)
            errors += 1
            continue
        if after.status is PaymentStatus.PENDING:
            pending += 1
        else:
            settled += 1
    for payment in refunding:
        for refund in payment.refunds:
            if refund.status is not RefundStatus.PENDING:
                continue
            try:
                refunds += settle_refund(rt, refund.gateway_refund_id)
            except (NotFound, Conflict, Unavailable) as ex:
                log.warning("refund %s not reconciled: %s", refund.gateway_refund_id, ex)
                errors += 1
    return PaymentReconciliation(settled, pending, refunds, errors)
