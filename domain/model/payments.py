"""Top-ups: a customer's payment at a payment gateway, and its refunds.

A Payment is our record of a payment the gateway holds; the gateway's word (fetched, never taken
from a notification's body) moves it: pending -> succeeded (the money is credited to the wallet,
once, keyed by the gateway's payment id) or pending -> canceled (nothing moves). A succeeded
payment may be refunded, in full or in parts, never beyond what it brought in.
"""

from __future__ import annotations

import datetime as dt
import enum

import attrs
from attrs.converters import optional

from domain.model.errors import InvalidTransition, RuleViolation
from domain.model.ledger import AccountKind, LedgerAccount, Posting, Transaction, TxKind
from domain.model.money import Money
from domain.model.values import Amount, Reason, as_amount, as_reason


class PaymentStatus(enum.Enum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    CANCELED = "canceled"


class RefundStatus(enum.Enum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    CANCELED = "canceled"


@attrs.define
class Refund:
    gateway_refund_id: str
    amount: Money
    status: RefundStatus
    created_at: dt.datetime
    reason: str = ""


@attrs.define
class Payment:
    id: int
    customer_id: int
    amount: Money
    gateway: str  # "sandbox" or "yookassa"
    gateway_payment_id: str
    confirmation_url: str
    status: PaymentStatus
    created_at: dt.datetime
    settled_at: dt.datetime | None = None
    refunds: list[Refund] = attrs.field(factory=list)

    @property
    def ledger_key(self) -> str:
        # The gateway's id, not ours: a credit is keyed by what the gateway confirmed.
        return f"payment:{self.gateway}:{self.gateway_payment_id}"

    @property
    def refunded(self) -> Money:
        """What refunds took back or are taking back (pending ones count: they are on their way)."""
        total = Money.zero(self.amount.currency)
        for refund in self.refunds:
            if refund.status is not RefundStatus.CANCELED:
                total = total + refund.amount
        return total

    @property
    def refundable(self) -> Money:
        if self.status is not PaymentStatus.SUCCEEDED:
            return Money.zero(self.amount.currency)
        return self.amount - self.refunded

    def refund_named(self, gateway_refund_id: str) -> Refund | None:
        return next((r for r in self.refunds if r.gateway_refund_id == gateway_refund_id), None)

    def succeed(self, now: dt.datetime) -> Transaction:
        """Mark it paid; the credit to post with it."""
        self._require_pending("succeed")
        self.status, self.settled_at = PaymentStatus.SUCCEEDED, now
        return payment_credit(self, now)

    def cancel(self, now: dt.datetime) -> None:
        self._require_pending("cancel")
        self.status, self.settled_at = PaymentStatus.CANCELED, now

    def check_refund(self, amount: Money) -> None:
        if self.status is not PaymentStatus.SUCCEEDED:
            raise InvalidTransition("payment", self.status.value, "refund")
        if amount.currency != self.amount.currency:
            raise RuleViolation("amount", f"must be in {self.amount.currency}")
        if amount > self.refundable:
            raise RuleViolation(
                "amount",
                f"is more than is left to refund ({self.refundable.format()})",
                refundable=self.refundable.format(),
            )

    def _require_pending(self, attempted: str) -> None:
        if self.status is not PaymentStatus.PENDING:
            raise InvalidTransition("payment", self.status.value, attempted)


def payment_credit(payment: Payment, now: dt.datetime) -> Transaction:
    """Money that came in from the gateway onto the customer's wallet."""
    wallet = LedgerAccount.wallet(payment.customer_id, payment.amount.currency)
    source = LedgerAccount.system(AccountKind.PAYMENTS, payment.amount.currency)
    micro = payment.amount.micro
    return Transaction(
        payment.ledger_key,
        TxKind.PAYMENT,
        (Posting(source, -micro), Posting(wallet, micro)),
        now,
        f"payment {payment.gateway_payment_id}",
    )


def refund_debit(payment: Payment, refund: Refund, now: dt.datetime) -> Transaction:
    """Money the gateway gave back to the payer, off the wallet. Not customer-initiated: it has
    left already, so it is recorded even when it takes the wallet below zero (dunning follows)."""
    wallet = LedgerAccount.wallet(payment.customer_id, refund.amount.currency)
    source = LedgerAccount.system(AccountKind.PAYMENTS, refund.amount.currency)
    micro = refund.amount.micro
    return Transaction(
        f"payment-refund:{payment.gateway}:{refund.gateway_refund_id}",
        TxKind.PAYMENT_REFUND,
        (Posting(wallet, -micro), Posting(source, micro)),
        now,
        refund.reason or f"refund of payment {payment.gateway_payment_id}",
    )


@attrs.frozen
class PaymentLimits:
    """The least and most one top-up may be (settings)."""

    minimum: Money
    maximum: Money

    def check(self, amount: Money) -> None:
        if amount.currency != self.minimum.currency:
            raise RuleViolation("amount", f"must be in {self.minimum.currency}")
        if amount.micro % 10_000:
            raise RuleViolation("amount", "must have at most two decimal places")
        if not self.minimum <= amount <= self.maximum:
            raise RuleViolation(
                "amount",
                f"must be within {self.minimum.format()}..{self.maximum.format()}",
                minimum=self.minimum.format(),
                maximum=self.maximum.format(),
            )


# --- commands (domain/model/commands.py says how commands are made) -----------------------------


@attrs.frozen
class TopUp:
    """A customer opens a payment of `amount`; `request_key` (the Idempotency-Key) makes a retried
    request open the same payment."""

    amount: Amount = attrs.field(converter=as_amount)
    request_key: str | None = None


@attrs.frozen
class RefundPayment:
    """An admin gives a payment back through the gateway: all that is left of it, or `amount`."""

    payment_id: int
    reason: Reason = attrs.field(converter=as_reason)
    amount: Amount | None = attrs.field(default=None, converter=optional(as_amount))
    request_key: str | None = None
