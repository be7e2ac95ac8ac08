"""Actions: every asynchronous operation a client can poll. The seed API's `taskId` is an action
id."""

from __future__ import annotations

import datetime as dt
import enum

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
    params: tuple[tuple[str, str], ...] = ()  # e.g. (("snapname", "before-upgrade"),)

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

    def param(self, name: str) -> str | None:
        return dict(self.params).get(name)
