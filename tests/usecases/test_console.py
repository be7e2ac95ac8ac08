"""Console links (domain/usecases/console.py): made for one's own running server, opened once."""

from __future__ import annotations

import datetime as dt

import pytest

from domain.model.console import CONSOLE_FAILURES_PER_WINDOW, ConsoleEnd
from domain.model.errors import (
    Conflict,
    InvalidTransition,
    LinkNotFound,
    Locked,
    NotFound,
    Throttled,
    ValidationError,
)
from domain.model.server import Server
from domain.model.server_commands import OnServer, OpenConsole
from domain.usecases import console, server_commands
from domain.usecases.actors import Actor
from ports.audit import AuditQuery
from ports.paging import Page

from .support import World, refused

CLIENT = "198.51.100.4"


@pytest.fixture
def server(world: World, customer: Actor) -> Server:
    return world.running_server(customer, name="web-1")


def secret_of(url: str) -> str:
    return url.rsplit("/console/", 1)[1]


def test_a_link_by_vmid_or_id_opens_one_session(world: World, customer: Actor, server: Server):
    url, link = console.open_console(world.rt, customer, OpenConsole(server.placement.vmid))
    assert link.expires_at - world.clock.now() == dt.timedelta(seconds=60)
    assert console.console_link(world.rt, secret_of(url))[1] == "ready"

    grant = console.start_console(world.rt, secret_of(url), CLIENT)

    assert (grant.node, grant.vmid) == (server.placement.node, server.placement.vmid)
    assert console.console_link(world.rt, secret_of(url))[1] == "open"
    assert console.console_allowed(world.rt, grant)
    with pytest.raises(LinkNotFound):  # a real link tried again is in the server's audit trail
        console.start_console(world.rt, secret_of(url), "192.0.2.66")
    with world.rt.uow() as uow:
        trail, _ = uow.audit.search(AuditQuery(target=f"server:{server.id}"), Page(per_page=100))
    tries = [r.details for r in trail if r.action == "server.console_refused"]
    assert tries == [(("client", "192.0.2.66"), ("state", "open"))]
    console.end_console(world.rt, grant, ConsoleEnd.IDLE)
    link, state = console.console_link(world.rt, secret_of(url))
    assert state == "ended" and link.end_reason is ConsoleEnd.IDLE
    by_id, _ = console.open_console(world.rt, customer, OpenConsole(server_id=server.id))
    assert by_id != url


def test_refusals_of_a_link(world: World, customer: Actor, stranger: Actor, server: Server):
    vmid = server.placement.vmid
    assert vmid is not None

    def opening(actor: Actor, command: OpenConsole):  # type: ignore[no-untyped-def]
        return lambda: console.open_console(world.rt, actor, command)

    refused(world, NotFound, opening(stranger, OpenConsole(vmid)))
    refused(world, NotFound, opening(stranger, OpenConsole(server_id=server.id)))
    refused(world, NotFound, opening(customer, OpenConsole(4242)))
    # The command refuses bad input before any use case runs.
    refused(world, ValidationError, OpenConsole, field="serverId")
    refused(world, ValidationError, lambda: OpenConsole(vmid, server_id=server.id))
    for bad in (0, -1, "100", True):
        refused(world, ValidationError, OpenConsole, bad, field="vmid")
    server_commands.stop_server(world.rt, customer, OnServer(server.id))
    refused(world, InvalidTransition, opening(customer, OpenConsole(vmid)))
    world.hold_jobs()
    server_commands.start_server(world.rt, customer, OnServer(server.id))
    refused(world, Locked, opening(customer, OpenConsole(vmid)))


def test_a_lapsed_link_is_refused(world: World, customer: Actor, server: Server):
    url, _ = console.open_console(world.rt, customer, OpenConsole(server_id=server.id))
    world.clock.advance(dt.timedelta(seconds=61))
    assert console.console_link(world.rt, secret_of(url))[1] == "expired"
    with pytest.raises(LinkNotFound):
        console.start_console(world.rt, secret_of(url), CLIENT)
    assert console.console_link(world.rt, secret_of(url))[1] == "expired"  # still unopened


def test_a_link_of_a_server_that_stopped_since(world: World, customer: Actor, server: Server):
    url, _ = console.open_console(world.rt, customer, OpenConsole(server_id=server.id))
    server_commands.stop_server(world.rt, customer, OnServer(server.id))
    refused(world, Conflict, console.start_console, world.rt, secret_of(url), CLIENT)


def test_a_session_may_not_go_on_once_the_server_is_deleted(
    world: World, customer: Actor, server: Server
):
    url, _ = console.open_console(world.rt, customer, OpenConsole(server_id=server.id))
    grant = console.start_console(world.rt, secret_of(url), CLIENT)
    server_commands.delete_server(world.rt, customer, OnServer(server.id))
    assert not console.console_allowed(world.rt, grant)


def test_a_session_may_not_go_on_once_the_server_stopped(
    world: World, customer: Actor, server: Server
):
    url, _ = console.open_console(world.rt, customer, OpenConsole(server_id=server.id))
    grant = console.start_console(world.rt, secret_of(url), CLIENT)
    server_commands.stop_server(world.rt, customer, OnServer(server.id))
    assert not console.console_allowed(world.rt, grant)


def test_unknown_links_are_throttled_per_address(world: World, customer: Actor, server: Server):
    url, _ = console.open_console(world.rt, customer, OpenConsole(server_id=server.id))
    for n in range(CONSOLE_FAILURES_PER_WINDOW):
        refused(world, LinkNotFound, console.start_console, world.rt, f"guess-{n}", CLIENT)
    for secret in (secret_of(url), "x" * 500, None):
        with pytest.raises(Throttled):
            console.start_console(world.rt, secret, CLIENT)
    assert console.start_console(world.rt, secret_of(url), "192.0.2.9").server_id == server.id
