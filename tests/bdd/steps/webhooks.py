"""Steps about customers' webhooks: registering one, the endpoint that answers, what it got."""

from __future__ import annotations

import json

import pytest
from pytest_bdd import given, parsers, then, when

from adapters.memory.webhooks import RecordingWebhookReceiver
from domain.model.webhooks import SIGNATURE_HEADER, DeliveryStatus, WebhookEvent, verify
from domain.usecases.webhooks import (
    NewWebhook,
    create_webhook,
    deliver_webhooks,
    get_webhook,
    list_deliveries,
    list_webhooks,
)
from ports.paging import Page
from ports.webhooks import WebhookAnswer

from .common import NAME, Outcome, Shop, attempt

URL = "https://hooks.example.com/{name}"


def receiver(shop: Shop) -> RecordingWebhookReceiver:
    sender = shop.rt.webhooks
    assert isinstance(sender, RecordingWebhookReceiver)
    return sender


@pytest.fixture
def webhook_secrets() -> dict[str, str]:
    """Each customer's signing secret, as shown when the webhook was registered."""
    return {}


@given(parsers.re(rf'^{NAME} has a webhook for "(?P<event>[a-z.]+)"$'))
def _has_webhook(shop: Shop, webhook_secrets: dict[str, str], name: str, event: str) -> None:
    command = NewWebhook(URL.format(name=name.lower()), frozenset({WebhookEvent(event)}))
    created = create_webhook(shop.rt, shop.customer(name).actor, command)
    webhook_secrets[name] = created.secret


@when(parsers.re(rf'^{NAME} registers a webhook at "(?P<url>[^"]+)"$'), target_fixture="outcome")
def _registers(shop: Shop, name: str, url: str) -> Outcome:
    command = NewWebhook(url, frozenset({WebhookEvent.SERVER_CREATED}))
    return attempt(lambda: create_webhook(shop.rt, shop.customer(name).actor, command))


@when(parsers.re(rf"^{NAME} reads (?P<owner>[A-Z][a-z]+)'s webhook$"), target_fixture="outcome")
def _reads(shop: Shop, name: str, owner: str) -> Outcome:
    [webhook] = list_webhooks(shop.rt, shop.customer(owner).actor)
    return attempt(lambda: get_webhook(shop.rt, shop.customer(name).actor, webhook.id))


@given(parsers.re(rf"^{NAME}'s endpoint answers (?P<status>\d{{3}})$"))
@when(parsers.re(rf"^{NAME}'s endpoint answers (?P<status>\d{{3}})$"))
def _answers(shop: Shop, name: str, status: str) -> None:
    receiver(shop).answers = [WebhookAnswer(int(status), "")] * 10


@when("the webhooks are delivered")
def _delivered(shop: Shop) -> None:
    deliver_webhooks(shop.rt)


@then(
    parsers.re(
        rf'^{NAME}\'s endpoint got (?P<count>\d+) "(?P<event>[a-z.]+)" deliver(?:y|ies) about '
        r'"(?P<server>[^"]+)"$'
    )
)
def _got(shop: Shop, name: str, count: str, event: str, server: str) -> None:
    bodies = [json.loads(r.body) for r in receiver(shop).requests]
    about = [b for b in bodies if b["event"] == event and b["data"].get("name") == server]
    assert len(about) == int(count), bodies


@then(parsers.re(rf"^{NAME}'s endpoint got nothing$"))
def _got_nothing(shop: Shop, name: str) -> None:
    assert receiver(shop).requests == []


@then(
    parsers.re(
        rf"^every delivery {NAME}'s endpoint got is signed with (?:her|his) webhook's secret$"
    )
)
def _signed(shop: Shop, webhook_secrets: dict[str, str], name: str) -> None:
    secret = webhook_secrets[name]
    now = int(shop.clock.now().timestamp())
    for request in receiver(shop).requests:
        assert verify(secret, request.headers[SIGNATURE_HEADER], request.body, now)


def _last_delivery(shop: Shop, name: str) -> tuple[DeliveryStatus, int]:
    actor = shop.customer(name).actor
    [webhook] = list_webhooks(shop.rt, actor)
    found, _ = list_deliveries(shop.rt, actor, webhook.id, Page(1, 1))
    return found[0].status, found[0].attempts


@then(parsers.re(rf"^the last delivery to {NAME}'s endpoint is waiting for another try$"))
def _waiting(shop: Shop, name: str) -> None:
    assert _last_delivery(shop, name) == (DeliveryStatus.PENDING, 1)


@then(
    parsers.re(
        rf"^the last delivery to {NAME}'s endpoint was delivered after (?P<tries>\d+) tries$"
    )
)
def _delivered_after(shop: Shop, name: str, tries: str) -> None:
    assert _last_delivery(shop, name) == (DeliveryStatus.DELIVERED, int(tries))
