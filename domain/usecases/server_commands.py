"""Customer commands on a server. Each refuses at once what cannot happen (wrong owner, wrong state,
another action running) and otherwise records an Action and defers the job that carries it out.
Snapshots are in snapshots.py; what the server must be in, and what each action records, is the
commands' table (domain/model/server.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import attrs

from domain.model.action import NO_PARAMS, Action, ActionCommand, ActionParams, ResizeParams
from domain.model.catalogue import ServerConfig, disk_can_become
from domain.model.errors import AccountRestricted, Conflict, RuleViolation
from domain.model.server import COMMANDS, Server
from domain.model.server_commands import OnServer, ResizeServer
from domain.usecases.actors import Actor, account_of
from domain.usecases.dunning import reassess_account
from domain.usecases.paper_trail import audit
from domain.usecases.resizing import hold_growth
from domain.usecases.runtime import Runtime
from domain.usecases.server_access import begin_action, image_of, owned_server
from domain.usecases.server_jobs import begin_deletion, defer_action
from ports.unit_of_work import UnitOfWork

# Holds what a command costs, in the unit of work that starts its action.
Reserve = Callable[[UnitOfWork, Server, Action, dt.datetime], object]


@attrs.frozen
class PasswordReset:
    action: Action
    password: str  # shown once, never stored
    # The account it is the password of (root, or Administrator on Windows); None when the image
    # has left the catalogue since.
    user: str | None


def command_server(
    rt: Runtime,
    actor: Actor,
    server_id: int,
    command: ActionCommand,
    params: ActionParams = NO_PARAMS,
    *,
    secret: str | None = None,
    reserve: Reserve | None = None,
) -> Action:
    """Start `command`'s action on the caller's server and defer its job. `reserve` holds what the
    command costs, in the same unit of work as the action: a command the balance does not cover is
    refused whole. A `secret` travels to the job sealed."""
    now = rt.clock.now()
    with rt.uow() as uow:
        server = owned_server(uow, actor, server_id, for_update=True)
        action = begin_action(uow, server, command, now, params)
        if reserve is not None:
            reserve(uow, server, action, now)
        uow.servers.update(server)
        sealed = rt.secret_box.seal(secret) if secret is not None else None
        defer_action(uow, server, action, sealed_secret=sealed)
        name = COMMANDS[command].name
        audit(uow, actor, f"server.{name}", f"server:{server.id}", now, action=action.id)
        uow.commit()
    return action


def start_server(rt: Runtime, actor: Actor, command: OnServer) -> Action:
    return command_server(rt, actor, command.server_id, ActionCommand.START)


def stop_server(rt: Runtime, actor: Actor, command: OnServer) -> Action:
    return command_server(rt, actor, command.server_id, ActionCommand.STOP)


def restart_server(rt: Runtime, actor: Actor, command: OnServer) -> Action:
    return command_server(rt, actor, command.server_id, ActionCommand.RESTART)


def resize_server(rt: Runtime, actor: Actor, command: ResizeServer) -> Action:
    """Change any of cores, memory and disk. Disks only grow: a filesystem cannot be shrunk
    safely."""
    with rt.uow() as uow:
        server = owned_server(uow, actor, command.server_id)
        catalogue = uow.catalogue.current()
        account = account_of(uow, server.owner_id)
    current = server.config
    wanted = ServerConfig(
        cores=current.cores if command.cores is None else command.cores.value,
        memory_mib=current.memory_mib if command.memory is None else command.memory.value,
        disk_gib=current.disk_gib if command.disk is None else command.disk.value,
    ).validated(catalogue.limits)
    # Priced now: a size the catalogue can no longer price (its image or location withdrawn) is
    # refused here, before the guest changes, not by the job after it has.
    hourly = catalogue.rates_at(server.location_id).hourly(wanted, catalogue.image(server.image_id))
    if not disk_can_become(current.disk_gib, wanted.disk_gib):
        raise RuleViolation(
            "disk", f"can only grow (now {current.disk_gib} GiB)", current=current.disk_gib
        )
    if wanted == current:
        raise RuleViolation("cores", "the server already has this configuration")
    if hourly > server.meter.hourly and not account.may_order:
        # Growing a server is buying more: on hold like a new order until the balance is paid.
        raise AccountRestricted(
            "growing a server is on hold until the balance is topped up",
            standing=account.standing.value,
        )
    action = command_server(
        rt,
        actor,
        command.server_id,
        ActionCommand.RESIZE,
        ResizeParams(wanted.cores, wanted.memory_mib, wanted.disk_gib),
        # Priced again on the locked server: the hold covers the size it grows from now.
        reserve=lambda uow, locked, action, now: hold_growth(uow, locked, action, wanted, now),
    )
    reassess_account(rt, server.owner_id)
    return action


def reset_password(rt: Runtime, actor: Actor, command: OnServer) -> PasswordReset:
    """Refused up front (Conflict) on a VM whose image has no QEMU guest agent: the job would
    fail only after the customer had been shown a password that never took."""
    with rt.uow() as uow:
        server = owned_server(uow, actor, command.server_id)
        image = image_of(uow, server)
    if image is not None and not image.password_resettable:
        raise Conflict(
            f"the password of a server running {image.name} cannot be reset: the image has no "
            "QEMU guest agent to set it with",
            reason="no_guest_agent",
        )
    password = rt.secrets.password()
    action = command_server(
        rt, actor, command.server_id, ActionCommand.RESET_PASSWORD, secret=password
    )
    return PasswordReset(action, password, image.default_user if image is not None else None)


def delete_server(rt: Runtime, actor: Actor, command: OnServer) -> Action:
    """Start deleting: usage is billed up to this moment and stops; the job removes the guest."""
    now = rt.clock.now()
    with rt.uow() as uow:
        server = owned_server(uow, actor, command.server_id, for_update=True)
        action = begin_deletion(uow, server, now)
        audit(uow, actor, "server.delete", f"server:{server.id}", now, action=action.id)
        uow.commit()
    reassess_account(rt, server.owner_id)  # its last usage was charged
    return action
