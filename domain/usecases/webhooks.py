"""Customers' webhooks: kept, emitted with the change they announce, delivered by a tick.

An event becomes one delivery per webhook that wants it, written in the unit of work of the change
itself (`emit`), so a delivery exists exactly when the change does. The `webhooks` tick delivers
what is due, one at a time: it claims a delivery and commits that, sends it outside any
transaction, then writes the outcome. A 2xx is delivered; anything else is tried again with
backoff for 24 hours (domain/model/webhooks.py).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import attrs

from domain.model.action import Action
from domain.model.errors import Conflict, NotFound, ValidationError
from domain.model.server import Server
from domain.model.webhooks import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    MAX_WEBHOOKS_PER_CUSTOMER,
    SENDING_LEASE,
    SIGNATURE_HEADER,
    Delivery,
    Webhook,
    WebhookEvent,
    check_url,
    signature,
)
from domain.usecases.actors import Actor
from domain.usecases.paper_trail import audit
from domain.usecases.runtime import Runtime
from ports.paging import Page
from ports.unit_of_work import UnitOfWork
from ports.webhooks import WebhookRequest


@attrs.frozen
class NewWebhook:
    url: str
    events: frozenset[WebhookEvent]
    description: str = ""


@attrs.frozen
class CreatedWebhook:
    webhook: Webhook
    secret: str  # the signing secret, shown once


def create_webhook(rt: Runtime, actor: Actor, command: NewWebhook) -> CreatedWebhook:
    check_url(command.url, allow_private=rt.policy.webhooks_allow_private)
    secret = "whsec_" + rt.secrets.token()
    now = rt.clock.now()
    with rt.uow() as uow:
        uow.accounts.get_for_update(actor.account_id)  # one at a time per customer: the cap holds
        if len(uow.webhooks.for_owner(actor.account_id)) >= MAX_WEBHOOKS_PER_CUSTOMER:
            raise Conflict(f"a customer has at most {MAX_WEBHOOKS_PER_CUSTOMER} webhooks")
        webhook = Webhook(
            id=uow.webhooks.next_id(),
            owner_id=actor.account_id,
            url=command.url,
            events=command.events,
            secret=rt.secret_box.seal(secret),
            created_at=now,
            description=command.description,
        )
        uow.webhooks.add(webhook)
        audit(uow, actor, "webhook.create", f"webhook:{webhook.id}", now, url=webhook.url)
        uow.commit()
    return CreatedWebhook(webhook, secret)


def list_webhooks(rt: Runtime, actor: Actor) -> list[Webhook]:
    with rt.uow() as uow:
        return uow.webhooks.for_owner(actor.account_id)


def get_webhook(rt: Runtime, actor: Actor, webhook_id: int) -> Webhook:
    with rt.uow() as uow:
        return _owned(uow, actor, webhook_id)


def delete_webhook(rt: Runtime, actor: Actor, webhook_id: int) -> None:
    now = rt.clock.now()
    with rt.uow() as uow:
        webhook = _owned(uow, actor, webhook_id)
        uow.webhooks.remove(webhook.id)
        audit(uow, actor, "webhook.delete", f"webhook:{webhook.id}", now)
        uow.commit()


def list_deliveries(
    rt: Runtime, actor: Actor, webhook_id: int, page: Page
) -> tuple[list[Delivery], int]:
    with rt.uow() as uow:
        webhook = _owned(uow, actor, webhook_id)
        return uow.deliveries.for_webhook(webhook.id, page)


def _owned(uow: UnitOfWork, actor: Actor, webhook_id: int) -> Webhook:
    """Another customer's webhook is 'not found': an id must not reveal that it exists."""
    webhook = uow.webhooks.get(webhook_id)  # NotFound when there is none
    if webhook.owner_id != actor.account_id:
        raise NotFound("webhook", webhook_id)
    return webhook


# --- emitting ------------------------------------------------------------------------------------


def emit(
    uow: UnitOfWork, owner_id: int, event: WebhookEvent, now: dt.datetime, data: dict[str, Any]
) -> int:
    """One delivery per webhook of `owner_id` that wants `event`, in the caller's unit of work;
    how many."""
    made = 0
    for webhook in uow.webhooks.for_owner(owner_id):
        if not webhook.wants(event):
            continue
        delivery_id = uow.deliveries.next_id()
        body = {
            "id": delivery_id,
            "event": event.value,
            "createdAt": now.isoformat().replace("+00:00", "Z"),
            "data": data,
        }
        uow.deliveries.add(
            Delivery(
                id=delivery_id,
                webhook_id=webhook.id,
                owner_id=owner_id,
                event=event,
                body=json.dumps(body, separators=(",", ":"), sort_keys=True),
                created_at=now,
            )
        )
        made += 1
    return made


# --- delivering ----------------------------------------------------------------------------------


@attrs.frozen
class WebhookReport:
    delivered: int
    retrying: int
    failed: int


def deliver_webhooks(rt: Runtime, *, limit: int = 100) -> WebhookReport:
    """Up to `limit` due deliveries, oldest first, one at a time."""
    _retry_interrupted(rt)
    counts = {"delivered": 0, "pending": 0, "failed": 0}
    for _ in range(limit):
        claimed = _claim_one(rt)
        if claimed is None:
            break
        delivery, webhook = claimed
        outcome = _send(rt, delivery, webhook)
        with rt.uow() as uow:
            uow.deliveries.update(outcome)
            uow.commit()
        counts[outcome.status.value] += 1
    return WebhookReport(counts["delivered"], counts["pending"], counts["failed"])


def _claim_one(rt: Runtime) -> tuple[Delivery, Webhook | None] | None:
    now = rt.clock.now()
    with rt.uow() as uow:
        found = uow.deliveries.claim_due(now, 1)
        if not found:
            return None
        delivery = found[0].claimed(now)
        uow.deliveries.update(delivery)
        try:
            webhook: Webhook | None = uow.webhooks.get(delivery.webhook_id)
        except NotFound:
            webhook = None
        uow.commit()
    return delivery, webhook


def _send(rt: Runtime, delivery: Delivery, webhook: Webhook | None) -> Delivery:
    now = rt.clock.now()
    secret = rt.secret_box.open(webhook.secret) if webhook is not None else None
    if webhook is None or secret is None:
        # Removed meanwhile, or its secret sealed under another key: nothing can sign it.
        return delivery.given_up(now, "the webhook's signing secret is gone")
    body = delivery.body.encode()
    try:
        target = check_url(webhook.url, allow_private=rt.policy.webhooks_allow_private)
    except ValidationError as ex:  # the sandbox's URL, on a deployment that forbids it
        return delivery.given_up(now, f"not sent: {ex.message}")
    request = WebhookRequest(
        target=target,
        headers={
            "Content-Type": "application/json",
            "User-Agent": "Oxnack-Webhooks/1",
            SIGNATURE_HEADER: signature(secret, int(now.timestamp()), body),
            DELIVERY_HEADER: str(delivery.id),
            EVENT_HEADER: delivery.event.value,
        },
        body=body,
    )
    answer = rt.webhooks.send(request, allow_private=rt.policy.webhooks_allow_private)
    return delivery.answered(rt.clock.now(), answer.status_code, answer.text)


def _retry_interrupted(rt: Runtime) -> None:
    now = rt.clock.now()
    with rt.uow() as uow:
        for delivery in uow.deliveries.stalled(now - SENDING_LEASE, 100):
            uow.deliveries.update(delivery.interrupted(now))
        uow.commit()


# --- what the rest of the domain emits -----------------------------------------------------------


def action_finished(uow: UnitOfWork, action: Action, now: dt.datetime) -> None:
    """`action.finished`, in the unit of work that finished it."""
    emit(
        uow,
        action.owner_id,
        WebhookEvent.ACTION_FINISHED,
        now,
        {
            "actionId": action.id,
            "serverId": action.server_id,
            "command": action.command.value,
            "status": action.status.value,
            "error": None if action.error is None else attrs.asdict(action.error),
        },
    )


def server_changed(uow: UnitOfWork, server: Server, event: WebhookEvent, now: dt.datetime) -> None:
    """`server.created` or `server.deleted`, in the unit of work that made it so."""
    emit(
        uow,
        server.owner_id,
        event,
        now,
        {
            "serverId": server.id,
            "name": server.name,
            "status": server.status.value,
            "ip": server.placement.ip_address,
        },
    )
