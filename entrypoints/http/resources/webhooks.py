"""The caller's webhooks: register an endpoint, list and remove them, see their deliveries."""

from __future__ import annotations

from typing import Any

import falcon

from domain.model.webhooks import MAX_URL_LENGTH, Delivery, Webhook, WebhookEvent
from domain.usecases.webhooks import (
    NewWebhook,
    create_webhook,
    delete_webhook,
    get_webhook,
    list_deliveries,
    list_webhooks,
)
from entrypoints.http import codec
from entrypoints.http.body import parse
from entrypoints.http.idempotency import run_once
from entrypoints.http.resources.base import PAGE_PARAMS, Op, Resource, actor, page_of, set_json
from entrypoints.http.response_schemas import PAGE
from entrypoints.http.schemas import ID, Schema, obj, text

EVENTS: Schema = {
    "type": "array",
    "items": {"enum": [event.value for event in WebhookEvent]},
    "minItems": 1,
    "uniqueItems": True,
    "examples": [["server.created", "action.finished"]],
}
WEBHOOK_CREATE = obj(
    {
        "url": text(1, MAX_URL_LENGTH, format="uri", examples=["https://hooks.example.com/oxnack"]),
        "events": EVENTS,
        "description": text(0, 200),
    },
    ("url", "events"),
)
WEBHOOK: Schema = {
    "type": "object",
    "required": ["id", "url", "events", "createdAt"],
    "properties": {
        "id": ID,
        "url": {"type": "string"},
        "events": EVENTS,
        "description": {"type": "string"},
        "createdAt": {"type": "string", "format": "date-time"},
        "secret": {
            "type": ["string", "null"],
            "description": "The signing secret, shown once, in the answer that created the "
            "webhook (null in a replay of its Idempotency-Key)",
        },
    },
}


def webhook_view(webhook: Webhook) -> dict[str, Any]:
    return {
        "id": webhook.id,
        "url": webhook.url,
        "events": sorted(event.value for event in webhook.events),
        "description": webhook.description,
        "createdAt": codec.when(webhook.created_at),
    }


def delivery_view(delivery: Delivery) -> dict[str, Any]:
    return {
        "id": delivery.id,
        "event": delivery.event.value,
        "status": delivery.status.value,
        "attempts": delivery.attempts,
        "createdAt": codec.when(delivery.created_at),
        "lastAttemptAt": codec.when(delivery.last_attempt_at),
        "nextAttemptAt": codec.when(delivery.next_attempt_at),
        "lastStatusCode": delivery.last_status_code,
        "lastAnswer": delivery.last_answer,
    }


class Webhooks(Resource):
    spec = {
        "get": Op("My webhooks", "webhooks", None, PAGE, 200, (400, 401), params=PAGE_PARAMS),
        "post": Op(
            "Register a webhook; the answer shows its signing secret once",
            "webhooks",
            WEBHOOK_CREATE,
            WEBHOOK,
            201,
            (400, 401, 409, 422),
            idempotent_key=True,
        ),
    }

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        page = page_of(req)
        found, total = page.cut(list_webhooks(self.rt, actor(req)))
        set_json(resp, codec.page([webhook_view(w) for w in found], page, total))

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = parse(req, WEBHOOK_CREATE)
        command = NewWebhook(
            url=body["url"],
            events=frozenset(WebhookEvent(e) for e in body["events"]),
            description=body.get("description", "").strip(),
        )

        who = actor(req)

        def create() -> tuple[str, Any]:
            created = create_webhook(self.rt, who, command)
            return falcon.HTTP_201, {**webhook_view(created.webhook), "secret": created.secret}

        # The secret is answered once; a replay of the key shows it as null.
        run_once(self.rt, req, resp, who, create, secret_fields=("secret",))


class WebhookItem(Resource):
    spec = {
        "get": Op("One of my webhooks", "webhooks", None, WEBHOOK, 200, (401, 404)),
        "delete": Op(
            "Remove a webhook and its deliveries",
            "webhooks",
            None,
            {"type": "object"},
            204,
            (401, 404),
        ),
    }

    def on_get(self, req: falcon.Request, resp: falcon.Response, webhook_id: int) -> None:
        set_json(resp, webhook_view(get_webhook(self.rt, actor(req), webhook_id)))

    def on_delete(self, req: falcon.Request, resp: falcon.Response, webhook_id: int) -> None:
        delete_webhook(self.rt, actor(req), webhook_id)
        resp.status = falcon.HTTP_204


class WebhookDeliveries(Resource):
    spec = {
        "get": Op(
            "A webhook's deliveries, newest first, with the last answer of each",
            "webhooks",
            None,
            PAGE,
            200,
            (400, 401, 404),
            params=PAGE_PARAMS,
        )
    }

    def on_get(self, req: falcon.Request, resp: falcon.Response, webhook_id: int) -> None:
        page = page_of(req)
        items, total = list_deliveries(self.rt, actor(req), webhook_id, page)
        set_json(
            resp,
            codec.page([delivery_view(d) for d in items], page, total),
        )
