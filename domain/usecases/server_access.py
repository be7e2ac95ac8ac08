"""A server as its owner (or an admin) reaches it: finding it, and starting an action on it."""

from __future__ import annotations

import datetime as dt

from domain.model.action import NO_PARAMS, Action, ActionCommand, ActionParams, ActionStatus
from domain.model.catalogue import OsImage
from domain.model.errors import NotFound
from domain.model.server import COMMANDS, Server, ServerStatus
from domain.usecases.actors import Actor
from ports.unit_of_work import UnitOfWork


def owned_server(
    uow: UnitOfWork, actor: Actor, server_id: int, *, for_update: bool = False
) -> Server:
    """The server if the actor may see it. Another customer's server is 'not found', never
    'forbidden': an id must not reveal that it exists."""
    # The server commands (domain/usecases/servers.py) still pass ids on as sent: until they are
    # typed too, only an int is an id here (2.0 or True would find server 2 or 1 by equality).
    if type(server_id) is not int or server_id <= 0:
        raise NotFound("server", server_id)
    server = uow.servers.get_for_update(server_id) if for_update else uow.servers.get(server_id)
    if server is None or server.status is ServerStatus.DELETED and not actor.is_admin:
        raise NotFound("server", server_id)
    if server.owner_id != actor.account_id and not actor.is_admin:
        raise NotFound("server", server_id)
    return server


def begin_action(
    uow: UnitOfWork,
    server: Server,
    command: ActionCommand,
    now: dt.datetime,
    params: ActionParams = NO_PARAMS,
) -> Action:
    """Refuse or start an action on a server (the caller saves the server)."""
    if not isinstance(params, COMMANDS[command].params):
        raise TypeError(f"{command.value} takes {COMMANDS[command].params.__name__}")
    server.check_allows(command)
    action = Action(
        id=uow.actions.next_id(),
        server_id=server.id,
        owner_id=server.owner_id,
        command=command,
        status=ActionStatus.RUNNING,
        started_at=now,
        params=params,
    )
    server.begin(command, action.id, now)
    uow.actions.add(action)
    return action


def image_of(uow: UnitOfWork, server: Server) -> OsImage | None:
    """The server's image in the current catalogue; None once it has left it (the server keeps
    running; what the image told, its default user, its guest agent, is then unknown)."""
    try:
        return uow.catalogue.current().image(server.image_id)
    except NotFound:
        return None
