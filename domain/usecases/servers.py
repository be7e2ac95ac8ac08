"""What a customer sees of their servers: the list, one server, its live figures, its actions and
a console ticket. The commands that change a server are in server_commands.py and snapshots.py."""

from __future__ import annotations

from domain.model.action import Action
from domain.model.errors import DomainError, NotFound
from domain.model.server import LIVE, Server, ServerStatus
from domain.model.server_commands import OpenConsole
from domain.usecases.actors import Actor
from domain.usecases.runtime import Runtime
from domain.usecases.server_access import owned_server
from ports.hypervisor import ConsoleTicket, GuestStats, RrdPoint


def list_servers(rt: Runtime, actor: Actor) -> list[Server]:
    with rt.uow() as uow:
        return [
            s
            for s in uow.servers.for_owner(actor.account_id)
            if s.status is not ServerStatus.DELETED
        ]


def get_server(rt: Runtime, actor: Actor, server_id: int) -> Server:
    with rt.uow() as uow:
        return owned_server(uow, actor, server_id)


def guest_of(server: Server) -> tuple[str, int] | None:
    """The node and vmid of the server's guest while it has one to look at (running or stopped)."""
    p = server.placement
    if not p.node or not p.vmid or server.status not in LIVE:
        return None
    return p.node, p.vmid


def open_console(rt: Runtime, actor: Actor, command: OpenConsole) -> ConsoleTicket:
    """A short-lived console ticket for the caller's own running server, named by its vmid."""
    with rt.uow() as uow:
        server = uow.servers.by_vmid(command.vmid)
        if server is None or (server.owner_id != actor.account_id and not actor.is_admin):
            raise NotFound("server", command.vmid)
        if server.status is ServerStatus.DELETED:
            raise NotFound("server", command.vmid)
        server.check_console()
    assert server.placement.node
    return rt.hypervisor.console(server.placement.node, command.vmid)


def get_action(rt: Runtime, actor: Actor, action_id: int) -> Action:
    with rt.uow() as uow:
        # Only an int is an id: 2.0 or True would otherwise find action 2 (or 1) by equality.
        action = uow.actions.get(action_id) if type(action_id) is int else None
        if action is None or (action.owner_id != actor.account_id and not actor.is_admin):
            raise NotFound("action", action_id)
        return action


def server_actions(rt: Runtime, actor: Actor, server_id: int) -> list[Action]:
    with rt.uow() as uow:
        server = owned_server(uow, actor, server_id)
        return sorted(uow.actions.for_server(server.id), key=lambda a: a.id, reverse=True)


def server_stats(
    rt: Runtime, actor: Actor, server_id: int
) -> tuple[Server, GuestStats | None, list[RrdPoint]]:
    """Live figures of the caller's server; None when it has no guest or the hypervisor is away."""
    with rt.uow() as uow:
        server = owned_server(uow, actor, server_id)
    where = guest_of(server)
    if where is None:
        return server, None, []
    try:
        return server, rt.hypervisor.stats(*where), rt.hypervisor.rrd(*where)
    except DomainError:
        # Stats are a view, not a command: a hypervisor that is away makes them unavailable,
        # not an error.
        return server, None, []
