"""Webhooks on each store: deliveries live and die with the change they announce, are claimed by
one deliverer at a time, retried with backoff for a day, and go with their webhook; the same on
memory and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json

import attrs
import pytest

from adapters.memory import FakeClock, InlineJobQueue
from adapters.memory.webhooks import RecordingWebhookReceiver
from domain.model.accounts import Role
from domain.model.errors import Conflict, NotFound
from domain.model.webhooks import (
    MAX_WEBHOOKS_PER_CUSTOMER,
    RETRY_WINDOW,
    SENDING_LEASE,
    SIGNATURE_HEADER,
    DeliveryStatus,
    WebhookEvent,
    verify,
)
from domain.usecases.actors import Actor
from domain.usecases.runtime import Runtime
from domain.usecases.webhooks import (
    NewWebhook,
    WebhookReport,
    create_webhook,
    delete_webhook,
    deliver_webhooks,
    emit,
    list_deliveries,
    list_webhooks,
)
from ports.paging import Page
from ports.webhooks import WebhookAnswer
from tests.backoffice import Backoffice

from . import builders as b

NOW = dt.datetime(2026, 2, 1, 3, 0, tzinfo=dt.UTC)
URL = "https://hooks.example.com/oxnack"


@attrs.define
class Hooks:
    rt: Runtime
    receiver: RecordingWebhookReceiver
    clock: FakeClock

    def customer(self) -> Actor:
        with self.rt.uow() as uow:
            account = b.account(uow.accounts.next_id())
            uow.accounts.add(account)
            uow.commit()
        return Actor(account.id, Role.CUSTOMER)

    def register(self, actor: Actor, *events: WebhookEvent) -> tuple[int, str]:
        created = create_webhook(
            self.rt, actor, NewWebhook(URL, frozenset(events or (WebhookEvent.SERVER_CREATED,)))
        )
        return created.webhook.id, created.secret

    def emit(self, actor: Actor, event: WebhookEvent = WebhookEvent.SERVER_CREATED) -> int:
        with self.rt.uow() as uow:
            made = emit(uow, actor.account_id, event, self.clock.now(), {"serverId": 12})
            uow.commit()
        return made

    def deliveries(self, actor: Actor, webhook_id: int) -> list[tuple[DeliveryStatus, int]]:
        found, _ = list_deliveries(self.rt, actor, webhook_id, Page(1, 100))
        return [(d.status, d.attempts) for d in found]


@pytest.fixture
def hooks(uow_factory) -> Hooks:  # type: ignore[no-untyped-def]
    clock = FakeClock(NOW)
    receiver = RecordingWebhookReceiver()
    rt = Backoffice(store=uow_factory, jobs=InlineJobQueue(), clock=clock, webhooks=receiver).rt
    return Hooks(rt, receiver, clock)


def test_a_delivery_is_written_only_with_the_change_it_announces(hooks: Hooks) -> None:
    ann = hooks.customer()
    webhook_id, _ = hooks.register(ann)
    with hooks.rt.uow() as uow:
        emit(uow, ann.account_id, WebhookEvent.SERVER_CREATED, NOW, {"serverId": 1})
        # no commit: the change is abandoned, and its delivery with it
    assert hooks.deliveries(ann, webhook_id) == []
    assert hooks.emit(ann) == 1
    assert hooks.deliveries(ann, webhook_id) == [(DeliveryStatus.PENDING, 0)]


def test_only_the_owners_webhooks_that_want_the_event_get_it(hooks: Hooks) -> None:
    ann, bob = hooks.customer(), hooks.customer()
    created, _ = hooks.register(ann, WebhookEvent.SERVER_CREATED)
    deleted, _ = hooks.register(ann, WebhookEvent.SERVER_DELETED)
    bobs, _ = hooks.register(bob, WebhookEvent.SERVER_CREATED)

    assert hooks.emit(ann) == 1
    assert len(hooks.deliveries(ann, created)) == 1
    assert hooks.deliveries(ann, deleted) == []
    assert hooks.deliveries(bob, bobs) == []


def test_a_delivery_is_sent_signed_with_the_secret_shown_at_registration(hooks: Hooks) -> None:
    ann = hooks.customer()
    webhook_id, secret = hooks.register(ann)
    hooks.emit(ann)

    assert deliver_webhooks(hooks.rt) == WebhookReport(delivered=1, retrying=0, failed=0)

    [sent] = hooks.receiver.requests
    assert sent.target.url == URL
    assert verify(secret, sent.headers[SIGNATURE_HEADER], sent.body, int(NOW.timestamp()))
    body = json.loads(sent.body)
    assert body["event"] == "server.created" and body["data"] == {"serverId": 12}
    assert sent.headers["Oxnack-Delivery"] == str(body["id"])
    assert hooks.deliveries(ann, webhook_id) == [(DeliveryStatus.DELIVERED, 1)]
    assert deliver_webhooks(hooks.rt) == WebhookReport(0, 0, 0)  # sent once


def test_the_secret_rests_sealed(hooks: Hooks) -> None:
    ann = hooks.customer()
    _, secret = hooks.register(ann)
    [stored] = list_webhooks(hooks.rt, ann)
    assert secret not in stored.secret
    assert hooks.rt.secret_box.open(stored.secret) == secret


def test_a_failing_receiver_is_tried_again_with_backoff_until_a_day_has_passed(
    hooks: Hooks,
) -> None:
    ann = hooks.customer()
    webhook_id, _ = hooks.register(ann)
    hooks.emit(ann)
    hooks.receiver.answers = [WebhookAnswer(500, "down")] * 100

    assert deliver_webhooks(hooks.rt) == WebhookReport(0, 1, 0)
    assert deliver_webhooks(hooks.rt) == WebhookReport(0, 0, 0)  # not due yet
    tries = 1
    while hooks.deliveries(ann, webhook_id)[0][0] is DeliveryStatus.PENDING:
        hooks.clock.advance(dt.timedelta(hours=2))
        deliver_webhooks(hooks.rt)
        tries += 1
    [(status, attempts)] = hooks.deliveries(ann, webhook_id)
    assert status is DeliveryStatus.FAILED and attempts == tries == len(hooks.receiver.requests)
    assert hooks.clock.now() - NOW <= RETRY_WINDOW + dt.timedelta(hours=2)


def test_a_deliverer_that_died_mid_send_leaves_the_delivery_to_be_tried_again(
    hooks: Hooks,
) -> None:
    ann = hooks.customer()
    webhook_id, _ = hooks.register(ann)
    hooks.emit(ann)
    with hooks.rt.uow() as uow:
        [due] = uow.deliveries.claim_due(NOW, 10)
        uow.deliveries.update(due.claimed(NOW))
        uow.commit()
    assert deliver_webhooks(hooks.rt) == WebhookReport(0, 0, 0)  # someone holds it

    hooks.clock.advance(SENDING_LEASE)
    deliver_webhooks(hooks.rt)  # taken back, then due after its backoff
    hooks.clock.advance(dt.timedelta(minutes=1))
    deliver_webhooks(hooks.rt)
    assert hooks.deliveries(ann, webhook_id) == [(DeliveryStatus.DELIVERED, 2)]


def test_removing_a_webhook_removes_its_deliveries_and_only_the_owner_may(hooks: Hooks) -> None:
    ann, bob = hooks.customer(), hooks.customer()
    webhook_id, _ = hooks.register(ann)
    hooks.emit(ann)
    with pytest.raises(NotFound):
        delete_webhook(hooks.rt, bob, webhook_id)
    with pytest.raises(NotFound):
        list_deliveries(hooks.rt, bob, webhook_id, Page())

    delete_webhook(hooks.rt, ann, webhook_id)
    assert list_webhooks(hooks.rt, ann) == []
    assert deliver_webhooks(hooks.rt) == WebhookReport(0, 0, 0)
    assert hooks.receiver.requests == []


def test_a_customer_has_at_most_ten_webhooks(hooks: Hooks) -> None:
    ann = hooks.customer()
    for _ in range(MAX_WEBHOOKS_PER_CUSTOMER):
        hooks.register(ann)
    with pytest.raises(Conflict):
        hooks.register(ann)
    assert len(list_webhooks(hooks.rt, ann)) == MAX_WEBHOOKS_PER_CUSTOMER


def test_deliveries_page_newest_first(hooks: Hooks) -> None:
    ann = hooks.customer()
    webhook_id, _ = hooks.register(ann)
    for _ in range(3):
        hooks.emit(ann)
    first, total = list_deliveries(hooks.rt, ann, webhook_id, Page(1, 2))
    second, _ = list_deliveries(hooks.rt, ann, webhook_id, Page(2, 2))
    ids = [d.id for d in first + second]
    assert total == 3 and ids == sorted(ids, reverse=True) and len(set(ids)) == 3
