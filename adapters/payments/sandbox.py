"""The sandbox's payment gateway: our own checkout page stands in for the payment provider.

It behaves as a gateway does, seen from the use cases: payments open `pending` with a
confirmation URL (`/sandbox/checkout/{id}` on our own API), the buyer's Pay or Cancel there settles
them (`pay`, `cancel`: the buyer's acts, not the port's), the same idempotence key gives back the
same payment, refunds never exceed what was paid, and a payment nobody paid for an hour expires
(canceled, as YooKassa cancels an unconfirmed one), so the reconciliation never waits on it
forever. Its records live in a CheckoutStore: in memory for the sandbox, in PostgreSQL
(adapters/postgres/sandbox_checkout.py) so that every process of a deployment without a gateway
serves the same checkout.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from typing import Protocol

import attrs

from domain.model.errors import Conflict, ExternalFailure, NotFound
from domain.model.money import Money
from ports.clock import Clock
from ports.payments import GatewayPayment, GatewayRefund, PaymentRequest


@attrs.frozen
class Checkout:
    id: str
    amount: Money
    description: str
    idempotence_key: str
    status: str  # pending, succeeded, canceled
    created_at: dt.datetime
    refunded_micro: int = 0


@attrs.frozen
class CheckoutRefund:
    id: str
    checkout_id: str
    amount: Money
    idempotence_key: str


class CheckoutStore(Protocol):
    def insert(self, checkout: Checkout) -> Checkout:
        """Store it, or give back the one stored under its idempotence key."""
        ...

    def get(self, checkout_id: str) -> Checkout | None: ...

    def decide(self, checkout_id: str, status: str) -> Checkout | None:
        """Atomically: a pending checkout takes `status`; a settled one stays as it is."""
        ...

    def add_refund(self, refund: CheckoutRefund) -> CheckoutRefund:
        """Atomically, or the one stored under its key; Conflict past what is left to refund."""
        ...

    def refund(self, refund_id: str) -> CheckoutRefund | None: ...


# How long a buyer has to press Pay before the checkout cancels the payment.
CHECKOUT_TTL = dt.timedelta(hours=1)


class SandboxGateway:
    name = "sandbox"

    def __init__(self, store: CheckoutStore, clock: Clock, public_url: str) -> None:
        self.store = store
        self._clock = clock
        self._public_url = public_url.rstrip("/")

    def create(self, request: PaymentRequest) -> GatewayPayment:
        checkout = self.store.insert(
            Checkout(
                str(uuid.uuid4()),
                request.amount,
                request.description,
                request.idempotence_key,
                "pending",
                self._clock.now(),
            )
        )
        if checkout.amount != request.amount:
            raise ExternalFailure("the idempotence key was used for another payment")
        return self._payment(checkout)

    def fetch(self, payment_id: str) -> GatewayPayment:
        return self._payment(self.checkout(payment_id))

    def capture(self, payment_id: str, amount: Money, idempotence_key: str) -> GatewayPayment:
        raise ExternalFailure("the sandbox checkout takes every payment at once")

    def refund(self, payment_id: str, amount: Money, idempotence_key: str) -> GatewayRefund:
        checkout = self.checkout(payment_id)
        if checkout.status != "succeeded":
            raise ExternalFailure("only a succeeded payment can be refunded")
        ref = CheckoutRefund(str(uuid.uuid4()), checkout.id, amount, idempotence_key)
        try:
            stored = self.store.add_refund(ref)
        except Conflict:
            raise ExternalFailure("the refund is more than is left of the payment") from None
        return GatewayRefund(stored.id, stored.checkout_id, "succeeded", stored.amount)

    def fetch_refund(self, refund_id: str) -> GatewayRefund:
        found = self.store.refund(refund_id)
        if found is None:
            raise NotFound("refund", refund_id)
        return GatewayRefund(found.id, found.checkout_id, "succeeded", found.amount)

    # --- the buyer's side: the checkout page -----------------------------------------------------
    def checkout(self, checkout_id: str) -> Checkout:
        found = self.store.get(checkout_id)
        if found is None:
            raise NotFound("payment", checkout_id)
        if found.status == "pending" and self._clock.now() - found.created_at >= CHECKOUT_TTL:
            return self._decide(checkout_id, "canceled")
        return found

    def pay(self, checkout_id: str) -> Checkout:
        self.checkout(checkout_id)  # an expired one is canceled first
        return self._decide(checkout_id, "succeeded")

    def cancel(self, checkout_id: str) -> Checkout:
        return self._decide(checkout_id, "canceled")

    def _decide(self, checkout_id: str, status: str) -> Checkout:
        found = self.store.decide(checkout_id, status)
        if found is None:
            raise NotFound("payment", checkout_id)
        return found

    def _payment(self, checkout: Checkout) -> GatewayPayment:
        url = f"{self._public_url}/sandbox/checkout/{checkout.id}"
        return GatewayPayment(checkout.id, checkout.status, checkout.amount, url)


class MemoryCheckoutStore:
    def __init__(self) -> None:
        self._checkouts: dict[str, Checkout] = {}
        self._refunds: dict[str, CheckoutRefund] = {}
        self._lock = threading.Lock()

    def insert(self, checkout: Checkout) -> Checkout:
        with self._lock:
            for stored in self._checkouts.values():
                if stored.idempotence_key == checkout.idempotence_key:
                    return stored
            self._checkouts[checkout.id] = checkout
            return checkout

    def get(self, checkout_id: str) -> Checkout | None:
        with self._lock:
            return self._checkouts.get(checkout_id)

    def decide(self, checkout_id: str, status: str) -> Checkout | None:
        with self._lock:
            found = self._checkouts.get(checkout_id)
            if found is not None and found.status == "pending":
                found = self._checkouts[checkout_id] = attrs.evolve(found, status=status)
            return found

    def add_refund(self, refund: CheckoutRefund) -> CheckoutRefund:
        with self._lock:
            for stored in self._refunds.values():
                if stored.idempotence_key == refund.idempotence_key:
                    return stored
            checkout = self._checkouts[refund.checkout_id]
            refunded = checkout.refunded_micro + refund.amount.micro
            if refunded > checkout.amount.micro:
                raise Conflict("past what is left to refund")
            self._checkouts[checkout.id] = attrs.evolve(checkout, refunded_micro=refunded)
            self._refunds[refund.id] = refund
            return refund

    def refund(self, refund_id: str) -> CheckoutRefund | None:
        with self._lock:
            return self._refunds.get(refund_id)
