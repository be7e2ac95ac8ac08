"""Top-ups: a customer starts a payment at the gateway, and the gateway's word settles it.

Nothing a notification says is believed: whoever tells us a payment changed (the gateway's
notification, the sandbox's checkout page, the reconciliation tick) only names it, and
`settle_payment` asks the gateway for the payment before any money moves. The credit is a
`payment` transaction keyed by the gateway's payment id, posted with the payment's row held, so
however many times and however concurrently a payment is settled, it is credited once. A credit
re-assesses the account at once (dunning's restore path: a restricted or suspended account is
active again and its servers are started), and announces `payment.succeeded` to the customer's
webhooks in the same unit of work.
"""

from __future__ import annotations

import hashlib
import logging

from domain.model.errors import Conflict, NotFound, Unavailable, ValidationError
from domain.model.payments import Payment, PaymentStatus, TopUp
from domain.model.webhooks import WebhookEvent
from domain.usecases import webhooks
from domain.usecases.actors import Actor, account_of, wallet_balance
from domain.usecases.dunning import reassess_account
from domain.usecases.paper_trail import audit, notify
from domain.usecases.runtime import Runtime
from ports.paging import Page
from ports.payments import GatewayPayment, PaymentGateway, PaymentRequest

log = logging.getLogger("hostprovider.payments")
# Payments a customer may have open at once: each is a request to the gateway, and an abandoned
# one closes by itself (the gateway cancels it; the reconciliation then sees it).
MAX_OPEN_PAYMENTS = 10


def gateway_of(rt: Runtime) -> PaymentGateway:
    if rt.payments is None:
        raise Unavailable("top-ups are not configured on this back office")
    return rt.payments


def idempotence_key(*parts: str | int) -> str:
    """A gateway idempotence key (at most 64 of [0-9a-zA-Z+-_.]) that is the same for the same
    request: a digest of what makes it that request."""
    return hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()


def start_payment(rt: Runtime, actor: Actor, command: TopUp) -> Payment:
    """Open a payment at the gateway; the customer pays at its `confirmation_url`.

    A retried request (the same Idempotency-Key) asks the gateway with the same idempotence key,
    so it gets the same payment back and stores no second one."""
    gateway = gateway_of(rt)
    with rt.uow() as uow:
        account = account_of(uow, actor.account_id)
        open_payments = uow.payments.pending_count(account.id)
    value = command.amount.money(account.currency)
    rt.policy.payment_limits.check(value)
    if open_payments >= MAX_OPEN_PAYMENTS:
        raise Conflict(
            f"{open_payments} payments are open: pay or cancel one before starting another",
            open=open_payments,
        )
    key = idempotence_key("payment", account.id, command.request_key or rt.secrets.token())
    remote = gateway.create(
        PaymentRequest(value, key, f"Top-up of account {account.id}", account.id)
    )
    if remote.amount != value:
        raise Conflict("the gateway opened a payment of another amount", gatewayId=remote.id)
    now = rt.clock.now()
    with rt.uow() as uow:
        payment = Payment(
            id=uow.payments.next_id(),
            customer_id=account.id,
            amount=value,
            gateway=gateway.name,
            gateway_payment_id=remote.id,
            confirmation_url=remote.confirmation_url,
            status=PaymentStatus.PENDING,
            created_at=now,
        )
        stored = uow.payments.add(payment)
        if stored.id == payment.id:
            audit(uow, actor, "payment.start", f"payment:{payment.id}", now, amount=value)
        uow.commit()
    return stored


def my_payments(rt: Runtime, actor: Actor, page: Page) -> tuple[list[Payment], int]:
    with rt.uow() as uow:
        return uow.payments.for_customer(actor.account_id, page)


def my_payment(rt: Runtime, actor: Actor, payment_id: int) -> Payment:
    """The payment if it is the actor's (an admin sees every one); else not found."""
    with rt.uow() as uow:
        found = uow.payments.get(payment_id)
    if found is None or (found.customer_id != actor.account_id and not actor.is_admin):
        raise NotFound("payment", payment_id)
    return found


def list_payments(
    rt: Runtime, actor: Actor, page: Page, status: str | None = None
) -> tuple[list[Payment], int]:
    actor.require_admin()
    try:
        wanted = None if status is None else PaymentStatus(status)
    except ValueError:
        raise ValidationError(
            "status", f"must be one of {', '.join(s.value for s in PaymentStatus)}"
        ) from None
    with rt.uow() as uow:
        return uow.payments.list(page, wanted)


def settle_payment(rt: Runtime, gateway_payment_id: str) -> Payment:
    """Bring our record of a payment in line with the gateway's: credit it once when it has
    succeeded, close it when it was canceled. NotFound when the gateway or we do not know it."""
    gateway = gateway_of(rt)
    if not 1 <= len(gateway_payment_id) <= 64:
        raise NotFound("payment", gateway_payment_id)
    remote = gateway.fetch(gateway_payment_id)
    if remote.status == "waiting_for_capture":
        remote = _capture(rt, gateway, remote)
    now = rt.clock.now()
    credited = False
    with rt.uow() as uow:
        payment = uow.payments.by_gateway_id(gateway.name, remote.id, for_update=True)
        if payment is None:
            raise NotFound("payment", gateway_payment_id)
        if payment.status is not PaymentStatus.PENDING or remote.status not in (
            "succeeded",
            "canceled",
        ):
            return payment
        if remote.amount != payment.amount:
            log.error(
                "gateway payment %s states %s, we opened it for %s: left pending",
                remote.id,
                remote.amount,
                payment.amount,
            )
            raise Conflict("the gateway states another amount for this payment")
        if remote.status == "succeeded":
            uow.ledger.post(payment.succeed(now))
            webhooks.emit(
                uow,
                payment.customer_id,
                WebhookEvent.PAYMENT_SUCCEEDED,
                now,
                {
                    "paymentId": payment.id,
                    "amount": {
                        "amount": payment.amount.format(),
                        "currency": payment.amount.currency,
                    },
                },
            )
            account = account_of(uow, payment.customer_id)
            notify(
                uow,
                account,
                "payment_received",
                now,
                amount=str(payment.amount),
                balance=str(wallet_balance(uow, account)),
            )
            credited = True
        else:
            payment.cancel(now)
        uow.payments.update(payment)
        audit(uow, None, f"payment.{payment.status.value}", f"payment:{payment.id}", now)
        uow.commit()
    if credited:
        reassess_account(rt, payment.customer_id)
    return payment


def _capture(rt: Runtime, gateway: PaymentGateway, remote: GatewayPayment) -> GatewayPayment:
    # We ask for one-stage payments; one that waits for capture anyway is taken in full, but only
    # if it is one of ours.
    with rt.uow() as uow:
        ours = uow.payments.by_gateway_id(gateway.name, remote.id)
    if ours is None or ours.amount != remote.amount:
        raise NotFound("payment", remote.id)
    return gateway.capture(remote.id, remote.amount, idempotence_key("capture", remote.id))
