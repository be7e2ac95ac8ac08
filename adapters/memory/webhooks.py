"""Webhooks and their deliveries in memory."""

from __future__ import annotations

import builtins
import datetime as dt

from adapters.memory.tables import Tables
from domain.model.errors import AlreadyExists, NotFound
from domain.model.webhooks import Delivery, DeliveryStatus, Webhook
from ports.paging import Page
from ports.webhooks import WebhookAnswer, WebhookRequest


class InMemoryWebhookRepository:
    def __init__(self, uow: Tables) -> None:
        self._uow = uow

    def next_id(self) -> int:
        return self._uow.next_id("webhooks")

    def add(self, webhook: Webhook) -> None:
        if webhook.id in self._table():
            raise AlreadyExists(f"webhook {webhook.id} exists", id=webhook.id)
        self._uow.write("webhooks")[webhook.id] = webhook
        self._uow.saw_id("webhooks", webhook.id)

    def get(self, webhook_id: int) -> Webhook:
        try:
            return self._table()[webhook_id]
        except KeyError:
            raise NotFound("webhook", webhook_id) from None

    def for_owner(self, owner_id: int) -> list[Webhook]:
        table = self._table()
        return [table[i] for i in sorted(table) if table[i].owner_id == owner_id]

    def remove(self, webhook_id: int) -> None:
        if webhook_id not in self._table():
            raise NotFound("webhook", webhook_id)
        del self._uow.write("webhooks")[webhook_id]
        deliveries = self._uow.write("webhook_deliveries")
        for delivery_id in [i for i, d in deliveries.items() if d.webhook_id == webhook_id]:
            del deliveries[delivery_id]

    def _table(self) -> dict[int, Webhook]:
        table: dict[int, Webhook] = self._uow.read("webhooks")
        return table


class InMemoryDeliveryRepository:
    def __init__(self, uow: Tables) -> None:
        self._uow = uow

    def next_id(self) -> int:
        return self._uow.next_id("webhook_deliveries")

    def add(self, delivery: Delivery) -> None:
        if delivery.id in self._table():
            raise AlreadyExists(f"delivery {delivery.id} exists", id=delivery.id)
        self._uow.write("webhook_deliveries")[delivery.id] = delivery
        self._uow.saw_id("webhook_deliveries", delivery.id)

    def claim_due(self, now: dt.datetime, limit: int) -> list[Delivery]:
        # Units of work on the memory store run one at a time: holding it is holding them.
        table = self._table()
        return [table[i] for i in sorted(table) if table[i].is_due(now)][: max(limit, 0)]

    def stalled(self, claimed_before: dt.datetime, limit: int) -> list[Delivery]:
        table = self._table()
        return [
            d
            for d in (table[i] for i in sorted(table))
            if d.status is DeliveryStatus.SENDING
            and d.claimed_at is not None
            and d.claimed_at <= claimed_before
        ][: max(limit, 0)]

    def update(self, delivery: Delivery) -> None:
        if delivery.id not in self._table():
            raise NotFound("delivery", delivery.id)
        self._uow.write("webhook_deliveries")[delivery.id] = delivery

    def for_webhook(self, webhook_id: int, page: Page) -> tuple[builtins.list[Delivery], int]:
        table = self._table()
        newest_first = [
            table[i] for i in sorted(table, reverse=True) if table[i].webhook_id == webhook_id
        ]
        return page.cut(newest_first)

    def _table(self) -> dict[int, Delivery]:
        table: dict[int, Delivery] = self._uow.read("webhook_deliveries")
        return table


class RecordingWebhookReceiver:
    """A fake for the sender port: keeps every request and answers what it was told to (202 by
    default), so that tests of the core can see what would have been sent."""

    def __init__(self) -> None:
        self.requests: list[WebhookRequest] = []
        self.answers: list[WebhookAnswer] = []  # answered in turn; then 202

    def send(self, request: WebhookRequest, *, allow_private: bool) -> WebhookAnswer:
        self.requests.append(request)
        return self.answers.pop(0) if self.answers else WebhookAnswer(202, "")
