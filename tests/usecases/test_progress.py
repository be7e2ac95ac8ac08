"""Progress that moves: each step of the create saga advances its action, every change is
published on `action-progress` (after it is committed), and other actions end at 100 too."""

from __future__ import annotations

from domain.model.server_commands import OnServer
from domain.usecases import server_commands
from domain.usecases.actors import Actor
from domain.usecases.progress import ACTION_PROGRESS, CREATE_PROGRESS

from .support import World


def progress_events(world: World) -> list[dict[str, object]]:
    return [payload for channel, payload in world.events.events if channel == ACTION_PROGRESS]


def test_an_order_moves_through_each_saga_step_to_100(world: World, customer: Actor) -> None:
    created = world.order(customer)

    events = progress_events(world)
    assert [e["progress"] for e in events] == [*CREATE_PROGRESS.values(), 100]
    assert all(e["actionId"] == created.action.id for e in events)
    assert all(e["ownerId"] == customer.account_id for e in events)
    assert [e["status"] for e in events] == ["running"] * len(CREATE_PROGRESS) + ["success"]
    assert world.action(created.action.id).progress == 100


def test_a_failed_order_ends_in_error_where_it_stopped(world: World, customer: Actor) -> None:
    world.hypervisor.fail_next("create")
    created = world.order(customer)

    events = progress_events(world)
    assert [e["progress"] for e in events] == [10, 15, 20, 20]  # placed, addressed, vlan; failed
    assert events[-1]["status"] == "error"
    assert world.action(created.action.id).status.value == "error"


def test_a_power_action_is_published_when_it_finishes(world: World, customer: Actor) -> None:
    server = world.running_server(customer)
    before = len(progress_events(world))
    action = server_commands.stop_server(world.rt, customer, OnServer(server.id))

    [stopped] = progress_events(world)[before:]
    assert (stopped["actionId"], stopped["status"], stopped["progress"]) == (
        action.id,
        "success",
        100,
    )
