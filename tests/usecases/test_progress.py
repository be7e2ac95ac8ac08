"""Progress that moves: each step of the create saga advances its action, every change is
published on `action-progress` (after it is committed), and other actions end at 100 too. While
the hypervisor clones (or resizes) the action moves with the task's own percentage, within the part
of the action the task stands for, and is written only every few points."""

from __future__ import annotations

from domain.model.server_commands import OnServer, RebuildServer, ResizeServer
from domain.model.values import Cores, DiskGiB, MemoryMiB
from domain.usecases import server_commands
from domain.usecases.actors import Actor
from domain.usecases.progress import (
    ACTION_PROGRESS,
    CLONE_OF_CREATE,
    CREATE_PROGRESS,
    REBUILD_CLONE,
    TASK_PROGRESS_STEP,
)
from domain.usecases.rebuilding import rebuild_server

from .support import World

DEBIAN = 2  # a container image other than the one ordered (Ubuntu 24.04)


def progress_events(world: World) -> list[dict[str, object]]:
    return [payload for channel, payload in world.events.events if channel == ACTION_PROGRESS]


def test_an_order_moves_through_each_saga_step_to_100(world: World, customer: Actor) -> None:
    created = world.order(customer)

    events = progress_events(world)
    told = [e["progress"] for e in events]
    assert [p for p in told if p in CREATE_PROGRESS.values() or p == 100] == [
        *CREATE_PROGRESS.values(),
        100,
    ]
    assert all(e["actionId"] == created.action.id for e in events)
    assert all(e["ownerId"] == customer.account_id for e in events)
    assert [e["status"] for e in events] == ["running"] * (len(told) - 1) + ["success"]
    assert world.action(created.action.id).progress == 100


def test_the_clone_moves_the_order_between_its_network_and_its_guest(
    world: World, customer: Actor
) -> None:
    world.order(customer)

    told = [e["progress"] for e in progress_events(world)]
    start, end = CLONE_OF_CREATE
    during = told[told.index(start) + 1 : told.index(end)]
    assert len(during) >= 2  # the clone's own percentage, while it ran
    assert all(start < p < end for p in during)
    assert during == sorted(set(during))
    steps = [b - a for a, b in zip([start, *during], during, strict=False)]
    assert min(steps) >= TASK_PROGRESS_STEP  # not a write for every percent


def test_a_resize_moves_its_action_while_the_disk_grows(world: World, customer: Actor) -> None:
    server = world.running_server(customer)
    before = len(progress_events(world))
    action = server_commands.resize_server(
        world.rt,
        customer,
        ResizeServer(server.id, cores=Cores(2), memory=MemoryMiB(2048), disk=DiskGiB(40)),
    )

    told = [e for e in progress_events(world)[before:] if e["actionId"] == action.id]
    assert [e["status"] for e in told][-1] == "success"
    during = [e["progress"] for e in told[:-1]]
    assert len(during) >= 2 and during == sorted(set(during))
    assert all(0 < p < 100 for p in during)
    assert world.action(action.id).progress == 100


def test_a_failed_order_ends_in_error_where_it_stopped(world: World, customer: Actor) -> None:
    world.hypervisor.fail_next("create")
    created = world.order(customer)

    events = progress_events(world)
    told = [e["progress"] for e in events]
    assert told[:3] == [10, 15, 20]  # placed, addressed, vlan
    assert all(20 < p < 40 for p in told[3:-1])  # the create ran up to its failure
    assert told[-1] == told[-2]  # failed where it stopped
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


def test_a_rebuild_moves_its_action_while_the_new_guest_is_made(
    world: World, customer: Actor
) -> None:
    server = world.running_server(customer)  # Ubuntu 24.04, a container
    before = len(progress_events(world))
    rebuilt = rebuild_server(world.rt, customer, RebuildServer(server.id, DEBIAN))

    told = [e for e in progress_events(world)[before:] if e["actionId"] == rebuilt.action.id]
    assert (told[-1]["status"], told[-1]["progress"]) == ("success", 100)
    during = [e["progress"] for e in told[:-1]]
    start, end = REBUILD_CLONE
    assert len(during) >= 2 and during == sorted(set(during))
    assert all(start < p < end for p in during)
