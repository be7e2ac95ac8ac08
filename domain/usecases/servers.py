"""Customer commands on a server. Each refuses at once what cannot happen (wrong owner, wrong state,
another action running) and otherwise records an Action and defers the job that carries it out."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import attrs

from domain.model.action import Action, ActionCommand
from domain.model.catalogue import ServerConfig
from domain.model.errors import (
    AccountRestricted,
    AlreadyExists,
    Conflict,
    DomainError,
    NotFound,
    RuleViolation,
    ValidationError,
)
from domain.model.server import Server, ServerStatus
from domain.usecases.common import (
    Actor,
    account_of,
    audit,
    begin_action,
    image_of,
    owned_server,
)
from domain.usecases.dunning import reassess_account
from domain.usecases.resizing import hold_growth
from domain.usecases.runtime import Runtime
from domain.usecases.server_jobs import ACTION_TASK as ACTION_TASK  # defined here before
from domain.usecases.server_jobs import begin_deletion, defer_action
from ports.hypervisor import GuestStats, RrdPoint, SnapshotInfo
from ports.unit_of_work import UnitOfWork

# Proxmox's snapshot name rule: a letter, then letters, digits, '-' or '_'; at most 40 characters.
_SNAPNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{1,39}$")


@attrs.frozen
class PasswordReset:
    action: Action
    password: str  # shown once, never stored
    # The account it is the password of (root, or Administrator on Windows); None when the image
    # has left the catalogue since.
    user: str | None


def list_servers(rt: Runtime, actor: Actor) -> list[Server]:
    with rt.uow() as uow:
        return [
            s
            for s in uow.servers.for_owner(actor.account_id)
            if s.status is not ServerStatus.DELETED
        ]


def get_server(rt: Runtime, actor: Actor, server_id: object) -> Server:
    with rt.uow() as uow:
        return owned_server(uow, actor, server_id)


def _command(
    rt: Runtime,
    actor: Actor,
    server_id: object,
    command: ActionCommand,
    guard: str,
    params: tuple[tuple[str, str], ...] = (),
    secret: str | None = None,
    reserve: Callable[[UnitOfWork, Server, Action, dt.datetime], object] | None = None,
) -> Action:
    """`reserve` holds what the command costs, in the same unit of work as the action: a command
    the balance does not cover is refused whole."""
    now = rt.clock.now()
    with rt.uow() as uow:
        server = owned_server(uow, actor, server_id, for_update=True)
        action = begin_action(uow, server, command, guard, now, params)
        if reserve is not None:
            reserve(uow, server, action, now)
        uow.servers.update(server)
        job_args: dict[str, object] = {}
        if secret is not None:
            job_args["sealed_secret"] = rt.secret_box.seal(secret)
        defer_action(uow, server, action, **job_args)
        audit(uow, actor, f"server.{guard}", f"server:{server.id}", now, action=action.id)
        uow.commit()
    return action


def start_server(rt: Runtime, actor: Actor, server_id: object) -> Action:
    return _command(rt, actor, server_id, ActionCommand.START, "start")


def stop_server(rt: Runtime, actor: Actor, server_id: object) -> Action:
    return _command(rt, actor, server_id, ActionCommand.STOP, "stop")


def restart_server(rt: Runtime, actor: Actor, server_id: object) -> Action:
    return _command(rt, actor, server_id, ActionCommand.RESTART, "restart")


def resize_server(
    rt: Runtime,
    actor: Actor,
    server_id: object,
    *,
    cores: object = None,
    memory: object = None,
    disk: object = None,
) -> Action:
    """Change any of cores, memory and disk. Disks only grow: a filesystem cannot be shrunk
    safely."""
    if cores is None and memory is None and disk is None:
        raise ValidationError("cores", "give at least one of cores, memory or disk")
    with rt.uow() as uow:
        server = owned_server(uow, actor, server_id)
        catalogue = uow.catalogue.current()
        account = account_of(uow, server.owner_id)
    current = server.config
    wanted = ServerConfig(
        cores=current.cores if cores is None else cores,  # type: ignore[arg-type]
        memory_mib=current.memory_mib if memory is None else memory,  # type: ignore[arg-type]
        disk_gib=current.disk_gib if disk is None else disk,  # type: ignore[arg-type]
    ).validated(catalogue.limits)
    # Priced now: a size the catalogue can no longer price (its image or location withdrawn) is
    # refused here, before the guest changes, not by the job after it has.
    hourly = catalogue.rates_at(server.location_id).hourly(wanted, catalogue.image(server.image_id))
    if wanted.disk_gib < current.disk_gib:
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
    params = (
        ("cores", str(wanted.cores)),
        ("memory", str(wanted.memory_mib)),
        ("disk", str(wanted.disk_gib)),
    )
    action = _command(
        rt,
        actor,
        server_id,
        ActionCommand.RESIZE,
        "resize",
        params,
        # Priced again on the locked server: the hold covers the size it grows from now.
        reserve=lambda uow, locked, action, now: hold_growth(uow, locked, action, wanted, now),
    )
    reassess_account(rt, server.owner_id)
    return action


def _snapname(value: object) -> str:
    if not isinstance(value, str) or not _SNAPNAME.fullmatch(value):
        raise ValidationError(
            "snapname",
            "must start with a letter, then letters, digits, '-' or '_', 2-40 characters",
        )
    return value


def create_snapshot(
    rt: Runtime, actor: Actor, server_id: object, *, snapname: object, description: object = ""
) -> Action:
    name = _snapname(snapname)
    if description is None:
        description = ""
    if not isinstance(description, str) or len(description) > 255:
        raise ValidationError("description", "must be text of at most 255 characters")
    existing = list_snapshots(rt, actor, server_id)
    if any(s.name == name for s in existing):
        raise AlreadyExists(f"snapshot {name} already exists", field="snapname")
    if len(existing) >= rt.policy.max_snapshots_per_server:
        raise ValidationError(
            "snapname", f"a server keeps at most {rt.policy.max_snapshots_per_server} snapshots"
        )
    params = (("snapname", name), ("description", description))
    return _command(rt, actor, server_id, ActionCommand.CREATE_SNAPSHOT, "create_snapshot", params)


def list_snapshots(rt: Runtime, actor: Actor, server_id: object) -> list[SnapshotInfo]:
    with rt.uow() as uow:
        server = owned_server(uow, actor, server_id)
    p = server.placement
    if (
        not p.node
        or not p.vmid
        or server.status not in (ServerStatus.RUNNING, ServerStatus.STOPPED)
    ):
        return []
    return rt.hypervisor.snapshots(p.node, p.vmid)


def _existing_snapshot(rt: Runtime, actor: Actor, server_id: object, snapname: object) -> str:
    name = _snapname(snapname)
    if not any(s.name == name for s in list_snapshots(rt, actor, server_id)):
        raise NotFound("snapshot", name)
    return name


def rollback_snapshot(rt: Runtime, actor: Actor, server_id: object, *, snapname: object) -> Action:
    name = _existing_snapshot(rt, actor, server_id, snapname)
    return _command(rt, actor, server_id, ActionCommand.ROLLBACK, "rollback", (("snapname", name),))


def delete_snapshot(rt: Runtime, actor: Actor, server_id: object, *, snapname: object) -> Action:
    name = _existing_snapshot(rt, actor, server_id, snapname)
    return _command(
        rt,
        actor,
        server_id,
        ActionCommand.DELETE_SNAPSHOT,
        "delete_snapshot",
        (("snapname", name),),
    )


def reset_password(rt: Runtime, actor: Actor, server_id: object) -> PasswordReset:
    """Refused up front (Conflict) on a VM whose image has no QEMU guest agent: the job would
    fail only after the customer had been shown a password that never took."""
    with rt.uow() as uow:
        server = owned_server(uow, actor, server_id)
        image = image_of(uow, server)
    if image is not None and not image.password_resettable:
        raise Conflict(
            f"the password of a server running {image.name} cannot be reset: the image has no "
            "QEMU guest agent to set it with",
            reason="no_guest_agent",
        )
    password = rt.secrets.password()
    action = _command(
        rt, actor, server_id, ActionCommand.RESET_PASSWORD, "reset_password", secret=password
    )
    return PasswordReset(action, password, image.default_user if image is not None else None)


def delete_server(rt: Runtime, actor: Actor, server_id: object) -> Action:
    """Start deleting: usage is billed up to this moment and stops; the job removes the guest."""
    now = rt.clock.now()
    with rt.uow() as uow:
        server = owned_server(uow, actor, server_id, for_update=True)
        action = begin_deletion(uow, server, now)
        audit(uow, actor, "server.delete", f"server:{server.id}", now, action=action.id)
        uow.commit()
    reassess_account(rt, server.owner_id)  # its last usage was charged
    return action


def get_action(rt: Runtime, actor: Actor, action_id: object) -> Action:
    with rt.uow() as uow:
        action = uow.actions.get(action_id) if type(action_id) is int else None
        if action is None or (action.owner_id != actor.account_id and not actor.is_admin):
            raise NotFound("action", action_id)
        return action


def server_actions(rt: Runtime, actor: Actor, server_id: object) -> list[Action]:
    with rt.uow() as uow:
        server = owned_server(uow, actor, server_id)
        return sorted(uow.actions.for_server(server.id), key=lambda a: a.id, reverse=True)


def server_stats(
    rt: Runtime, actor: Actor, server_id: object
) -> tuple[Server, GuestStats | None, list[RrdPoint]]:
    """Live figures of the caller's server; None when it has no guest or the hypervisor is away."""
    with rt.uow() as uow:
        server = owned_server(uow, actor, server_id)
    p = server.placement
    if (
        not p.node
        or not p.vmid
        or server.status not in (ServerStatus.RUNNING, ServerStatus.STOPPED)
    ):
        return server, None, []
    try:
        return server, rt.hypervisor.stats(p.node, p.vmid), rt.hypervisor.rrd(p.node, p.vmid)
    except DomainError:
        # Stats are a view, not a command: a hypervisor that is away makes them unavailable,
        # not an error.
        return server, None, []
