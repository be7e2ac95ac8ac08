"""Actions: every asynchronous operation a client can poll. The seed API's `taskId` is an action
id."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

import attrs


class ActionCommand(enum.Enum):
    CREATE = "create_server"
    START = "start_server"
    STOP = "stop_server"
    RESTART = "restart_server"
    RESIZE = "resize_server"
    CREATE_SNAPSHOT = "create_snapshot"
    DELETE_SNAPSHOT = "delete_snapshot"
    ROLLBACK = "rollback_snapshot"
    RESET_PASSWORD = "reset_password"
    DELETE = "delete_server"
    SUSPEND = "suspend_server"
    UNSUSPEND = "unsuspend_server"
    CHANGE_FIREWALL = "change_firewall"


# --- what a command asks for, typed; stored as (name, text) pairs --------------------------------
# Field metadata: the name a parameter is stored under, where it differs from the field's.
STORED_AS = "stored_as"


@attrs.frozen
class NoParams:
    """A command that needs nothing but its server."""


NO_PARAMS = NoParams()


@attrs.frozen
class ResizeParams:
    """The whole size the server is to have, as checked when the resize was asked for."""

    cores: int
    memory_mib: int = attrs.field(metadata={STORED_AS: "memory"})
    disk_gib: int = attrs.field(metadata={STORED_AS: "disk"})


@attrs.frozen
class NewSnapshotParams:
    snapname: str
    description: str = ""


@attrs.frozen
class SnapshotParams:
    """The existing snapshot a rollback or a deletion is about."""

    snapname: str


@attrs.frozen
class FirewallParams:
    """How many rules the change asks for; the rules themselves wait on the server."""

    rules: int


ActionParams = NoParams | ResizeParams | NewSnapshotParams | SnapshotParams | FirewallParams
P = TypeVar("P", NoParams, ResizeParams, NewSnapshotParams, SnapshotParams, FirewallParams)


def stored_params(params: ActionParams) -> tuple[tuple[str, str], ...]:
    """The parameters as the action record keeps them: (name, text) pairs, in field order."""
    return tuple(
        (field.metadata.get(STORED_AS, field.name), str(getattr(params, field.name)))
        for field in attrs.fields(type(params))
    )


def params_from_stored(kind: type[ActionParams], pairs: Iterable[Sequence[str]]) -> ActionParams:
    """The typed parameters back from their stored pairs; a field the record lacks (an older row)
    takes its default."""
    stored = {name: text for name, text in pairs}
    values: dict[str, Any] = {}
    for field in attrs.fields(attrs.resolve_types(kind)):
        text = stored.get(field.metadata.get(STORED_AS, field.name))
        if text is not None:
            values[field.name] = int(text) if field.type is int else text
    return kind(**values)


class ActionStatus(enum.Enum):
    RUNNING = "running"
    SUCCESS = "success"
    ERROR = "error"


@attrs.frozen
class ActionError:
    code: str
    message: str


@attrs.frozen
class Action:
    id: int
    server_id: int
    owner_id: int
    command: ActionCommand
    status: ActionStatus
    started_at: dt.datetime
    progress: int = 0
    finished_at: dt.datetime | None = None
    error: ActionError | None = None
    params: ActionParams = NO_PARAMS  # of the class the command's entry in server.COMMANDS names

    def progressed(self, percent: int) -> Action:
        return attrs.evolve(self, progress=max(self.progress, min(percent, 99)))

    def succeeded(self, now: dt.datetime) -> Action:
        return attrs.evolve(self, status=ActionStatus.SUCCESS, progress=100, finished_at=now)

    def failed(self, code: str, message: str, now: dt.datetime) -> Action:
        return attrs.evolve(
            self, status=ActionStatus.ERROR, finished_at=now, error=ActionError(code, message)
        )

    @property
    def finished(self) -> bool:
        return self.status is not ActionStatus.RUNNING

    def params_as(self, kind: type[P]) -> P:
        """The parameters, of the class the command takes (server.COMMANDS)."""
        if not isinstance(self.params, kind):
            raise TypeError(f"{self.command.value} has {type(self.params).__name__}")
        return self.params
