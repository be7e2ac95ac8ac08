"""What a customer's webhooks are told: a server created and deleted, each action finished, a low
balance; each as one signed delivery, written with the change it announces."""

from __future__ import annotations

import json
from typing import Any

import attrs
import pytest

from adapters.memory.webhooks import RecordingWebhookReceiver
from domain.model.errors import NotFound, RuleViolation
from domain.model.server_commands import OnServer
from domain.model.webhooks import WebhookEvent
from domain.usecases import server_commands
from domain.usecases.actors import Actor
from domain.usecases.webhooks import (
    NewWebhook,
    create_webhook,
    deliver_webhooks,
    get_webhook,
)

from .support import SETTINGS, World, make_world, refused

ALL = frozenset(WebhookEvent)


def receiver(world: World) -> RecordingWebhookReceiver:
    sender = world.rt.webhooks
    assert isinstance(sender, RecordingWebhookReceiver)
    return sender


def told(world: World) -> list[dict[str, Any]]:
    """Deliver what is due; every body the customer's endpoint got, in order."""
    deliver_webhooks(world.rt)
    return [json.loads(r.body) for r in receiver(world).requests]


def subscribe(world: World, actor: Actor, events: frozenset[WebhookEvent] = ALL) -> int:
    url = "https://hooks.example.com/oxnack"
    return create_webhook(world.rt, actor, NewWebhook(url, events)).webhook.id


def test_an_order_tells_of_the_server_created_and_its_action_finished(
    world: World, customer: Actor
) -> None:
    subscribe(world, customer)
    created = world.order(customer)

    bodies = told(world)
    events = [b["event"] for b in bodies]
    assert events == ["action.finished", "server.created"]
    finished, server = bodies
    assert finished["data"] == {
        "actionId": created.action.id,
        "serverId": created.server.id,
        "command": "create_server",
        "status": "success",
        "error": None,
    }
    assert server["data"]["serverId"] == created.server.id
    assert server["data"]["status"] == "running" and server["data"]["ip"]


def test_a_stop_and_a_deletion_are_told(world: World, customer: Actor) -> None:
    server = world.running_server(customer)
    subscribe(world, customer)

    server_commands.stop_server(world.rt, customer, OnServer(server.id))
    server_commands.delete_server(world.rt, customer, OnServer(server.id))

    bodies = told(world)
    assert [(b["event"], b["data"].get("command")) for b in bodies] == [
        ("action.finished", "stop_server"),
        ("server.deleted", None),
        ("action.finished", "delete_server"),
    ]
    assert bodies[1]["data"]["status"] == "deleted"


def test_a_failed_order_tells_of_its_action_failing_and_no_server(
    world: World, customer: Actor
) -> None:
    subscribe(world, customer)
    world.hypervisor.fail_next("create")
    world.order(customer)

    bodies = told(world)
    assert [b["event"] for b in bodies] == ["action.finished"]
    assert bodies[0]["data"]["status"] == "error" and bodies[0]["data"]["error"]["code"]


def test_a_low_balance_is_told_with_the_exact_balance(world: World) -> None:
    debtor = world.customer(balance="10.00")
    subscribe(world, debtor, frozenset({WebhookEvent.BALANCE_LOW}))
    world.running_server(debtor)  # about nine hours of runway: a reminder

    [low] = told(world)
    assert low["event"] == "balance.low"
    assert low["data"]["balance"]["currency"] == "RUB"
    assert low["data"]["balance"]["amount"] == f"{world.wallet(debtor) / 1_000_000:.6f}"


def test_a_webhook_only_hears_what_it_asked_for(world: World, customer: Actor) -> None:
    subscribe(world, customer, frozenset({WebhookEvent.SERVER_DELETED}))
    world.running_server(customer)
    assert told(world) == []


def test_a_private_address_is_refused_outside_the_sandbox() -> None:
    world = make_world(attrs.evolve(SETTINGS, webhooks_allow_private=False))
    customer = world.customer()
    refused(
        world,
        RuleViolation,
        create_webhook,
        world.rt,
        customer,
        NewWebhook("https://10.0.0.8/hook", ALL),
        field="url",
    )


def test_someone_elses_webhook_is_not_found(world: World, customer: Actor, stranger: Actor) -> None:
    webhook_id = subscribe(world, customer)
    refused(world, NotFound, get_webhook, world.rt, stranger, webhook_id)


@pytest.mark.parametrize("count", [1, 3])
def test_every_webhook_that_wants_an_event_gets_its_own_delivery(
    world: World, customer: Actor, count: int
) -> None:
    for _ in range(count):
        subscribe(world, customer, frozenset({WebhookEvent.SERVER_CREATED}))
    world.running_server(customer)
    assert [b["event"] for b in told(world)] == ["server.created"] * count
