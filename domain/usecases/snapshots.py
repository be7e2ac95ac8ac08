"""A server's snapshots: list them, take one, roll back to one, delete one. Taking, rolling back and
deleting are actions like every other server command (server_commands.py)."""

from __future__ import annotations

from domain.model.action import Action, ActionCommand, NewSnapshotParams, SnapshotParams
from domain.model.errors import AlreadyExists, NotFound, ValidationError
from domain.model.server_commands import OnSnapshot, TakeSnapshot
from domain.model.values import SnapshotName
from domain.usecases.actors import Actor
from domain.usecases.runtime import Runtime
from domain.usecases.server_access import owned_server
from domain.usecases.server_commands import command_server
from domain.usecases.servers import guest_of
from ports.hypervisor import SnapshotInfo


def list_snapshots(rt: Runtime, actor: Actor, server_id: int) -> list[SnapshotInfo]:
    with rt.uow() as uow:
        server = owned_server(uow, actor, server_id)
    where = guest_of(server)
    return [] if where is None else rt.hypervisor.snapshots(*where)


def create_snapshot(rt: Runtime, actor: Actor, command: TakeSnapshot) -> Action:
    name = command.snapname.text
    existing = list_snapshots(rt, actor, command.server_id)
    if any(s.name == name for s in existing):
        raise AlreadyExists(f"snapshot {name} already exists", field=SnapshotName.FIELD)
    if len(existing) >= rt.policy.max_snapshots_per_server:
        raise ValidationError(
            SnapshotName.FIELD,
            f"a server keeps at most {rt.policy.max_snapshots_per_server} snapshots",
        )
    params = NewSnapshotParams(name, command.description)
    return command_server(rt, actor, command.server_id, ActionCommand.CREATE_SNAPSHOT, params)


def rollback_snapshot(rt: Runtime, actor: Actor, command: OnSnapshot) -> Action:
    params = _existing(rt, actor, command)
    return command_server(rt, actor, command.server_id, ActionCommand.ROLLBACK, params)


def delete_snapshot(rt: Runtime, actor: Actor, command: OnSnapshot) -> Action:
    params = _existing(rt, actor, command)
    return command_server(rt, actor, command.server_id, ActionCommand.DELETE_SNAPSHOT, params)


def _existing(rt: Runtime, actor: Actor, command: OnSnapshot) -> SnapshotParams:
    name = command.snapname.text
    if not any(s.name == name for s in list_snapshots(rt, actor, command.server_id)):
        raise NotFound("snapshot", name)
    return SnapshotParams(name)
