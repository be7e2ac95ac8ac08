"""Webhooks and their deliveries on PostgreSQL."""

from __future__ import annotations

import builtins
import datetime as dt
from typing import Any

from adapters.postgres.rows import structure, unstructure
from adapters.postgres.session import Db, insert_new, next_id, paged, update_by_id
from domain.model.errors import AlreadyExists, NotFound
from domain.model.webhooks import Delivery, Webhook
from ports.paging import Page


def _webhook_row(webhook: Webhook) -> dict[str, Any]:
    row: dict[str, Any] = unstructure(webhook)
    row["events"] = sorted(event.value for event in webhook.events)
    return row


class PostgresWebhookRepository:
    def __init__(self, db: Db) -> None:
        self._db = db

    def next_id(self) -> int:
        return next_id(self._db, "webhooks")

    def add(self, webhook: Webhook) -> None:
        if not insert_new(self._db, "webhooks", _webhook_row(webhook)):
            raise AlreadyExists(f"webhook {webhook.id} exists", id=webhook.id)

    def get(self, webhook_id: int) -> Webhook:
        row = self._db.row("SELECT * FROM webhooks WHERE id = %s", (webhook_id,))
        if row is None:
            raise NotFound("webhook", webhook_id)
        return structure(row, Webhook)

    def for_owner(self, owner_id: int) -> list[Webhook]:
        rows = self._db.rows("SELECT * FROM webhooks WHERE owner_id = %s ORDER BY id", (owner_id,))
        return [structure(r, Webhook) for r in rows]

    def remove(self, webhook_id: int) -> None:
        # Its deliveries go with it (ON DELETE CASCADE).
        if self._db.run("DELETE FROM webhooks WHERE id = %s", (webhook_id,)) != 1:
            raise NotFound("webhook", webhook_id)


class PostgresDeliveryRepository:
    def __init__(self, db: Db) -> None:
        self._db = db

    def next_id(self) -> int:
        return next_id(self._db, "webhook_deliveries")

    def add(self, delivery: Delivery) -> None:
        if not insert_new(self._db, "webhook_deliveries", unstructure(delivery)):
            raise AlreadyExists(f"delivery {delivery.id} exists", id=delivery.id)

    def claim_due(self, now: dt.datetime, limit: int) -> list[Delivery]:
        rows = self._db.rows(
            "SELECT * FROM webhook_deliveries WHERE status = 'pending'"
            " AND (next_attempt_at IS NULL OR next_attempt_at <= %s)"
            " ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED",
            (now, max(limit, 0)),
        )
        return [structure(r, Delivery) for r in rows]

    def stalled(self, claimed_before: dt.datetime, limit: int) -> list[Delivery]:
        rows = self._db.rows(
            "SELECT * FROM webhook_deliveries WHERE status = 'sending' AND claimed_at <= %s"
            " ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED",
            (claimed_before, max(limit, 0)),
        )
        return [structure(r, Delivery) for r in rows]

    def update(self, delivery: Delivery) -> None:
        if not update_by_id(self._db, "webhook_deliveries", unstructure(delivery)):
            raise NotFound("delivery", delivery.id)

    def for_webhook(self, webhook_id: int, page: Page) -> tuple[builtins.list[Delivery], int]:
        rows, total = paged(
            self._db,
            "SELECT * FROM webhook_deliveries WHERE webhook_id = %s ORDER BY id DESC",
            (webhook_id,),
            page,
        )
        return [structure(r, Delivery) for r in rows], total
