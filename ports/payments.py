"""PaymentGateway: where top-ups are paid (YooKassa, or the sandbox's own checkout page).

Promises of every adapter:
- `create` is idempotent by `request.idempotence_key`: the same key gives back the same payment,
  however often it is sent (a retry after a lost answer creates nothing new).
- `fetch` and `fetch_refund` answer the gateway's own current word; NotFound for an id it does
  not know (or will not show us): a notification naming such an id is forged.
- `refund` is idempotent by its key likewise.
- Unavailable when the gateway cannot be reached or asks to retry later; ExternalFailure when it
  refuses the request for good (our credentials, a rule of its own).
"""

from __future__ import annotations

import builtins
import datetime as dt
from typing import Protocol

import attrs

from domain.model.money import Money
from domain.model.payments import Payment, PaymentStatus
from ports.paging import Page


@attrs.frozen
class PaymentRequest:
    amount: Money
    idempotence_key: str  # at most 64 of [0-9a-zA-Z+-_.]
    description: str
    customer_id: int


@attrs.frozen
class GatewayPayment:
    """A payment as the gateway states it."""

    id: str
    status: str  # pending, waiting_for_capture, succeeded, canceled
    amount: Money
    confirmation_url: str
    customer_id: int | None = None  # from the metadata we sent with it


@attrs.frozen
class GatewayRefund:
    id: str
    payment_id: str
    status: str  # pending, succeeded, canceled
    amount: Money


class PaymentGateway(Protocol):
    name: str  # "sandbox", "yookassa": the payments it holds are told apart by it

    def create(self, request: PaymentRequest) -> GatewayPayment: ...

    def fetch(self, payment_id: str) -> GatewayPayment: ...

    def capture(self, payment_id: str, amount: Money, idempotence_key: str) -> GatewayPayment:
        """Take a payment that waits for capture (one we did not ask to capture at once)."""
        ...

    def refund(self, payment_id: str, amount: Money, idempotence_key: str) -> GatewayRefund: ...

    def fetch_refund(self, refund_id: str) -> GatewayRefund: ...


class PaymentRepository(Protocol):
    """Our records of payments (and their refunds), in the unit of work."""

    def next_id(self) -> int: ...

    def add(self, payment: Payment) -> Payment:
        """Store a new payment, or give back the one already stored for its gateway payment id
        (a retried create): never two records of one gateway payment."""
        ...

    def get(self, payment_id: int) -> Payment | None: ...

    def by_gateway_id(
        self, gateway: str, gateway_payment_id: str, *, for_update: bool = False
    ) -> Payment | None:
        """With `for_update`, no other unit of work settles the payment until this one ends."""
        ...

    def get_for_update(self, payment_id: int) -> Payment | None: ...

    def update(self, payment: Payment) -> None:
        """Save its status and its refunds (added or changed)."""
        ...

    def pending_count(self, customer_id: int) -> int:
        """How many of the customer's payments are pending."""
        ...

    def for_customer(self, customer_id: int, page: Page) -> tuple[list[Payment], int]:
        """Newest first."""
        ...

    def list(
        self, page: Page, status: PaymentStatus | None = None
    ) -> tuple[builtins.list[Payment], int]:
        """Everyone's, newest first."""
        ...

    def pending_before(
        self, gateway: str, moment: dt.datetime, limit: int
    ) -> builtins.list[Payment]:
        """The gateway's pending payments created before `moment`, oldest first (the
        reconciliation)."""
        ...

    def with_pending_refunds(self, gateway: str, limit: int) -> builtins.list[Payment]:
        """The gateway's payments with a refund still pending there."""
        ...
