"""A server's states, which of them cost money or hold a job, and the moves between them (the
diagram in domain/model/server.py)."""

from __future__ import annotations

import enum


class ServerStatus(enum.Enum):
    PENDING = "pending"
    PROVISIONING = "provisioning"
    RUNNING = "running"
    STOPPED = "stopped"
    SUSPENDED = "suspended"
    REBUILDING = "rebuilding"
    DELETING = "deleting"
    DELETED = "deleted"
    FAILED = "failed"

    @property
    def billable(self) -> bool:
        """A server costs money while its resources are reserved, whatever its power state."""
        return self in BILLABLE


S = ServerStatus
# In the order the partial index `servers_billable` (migration 0009) names them.
BILLABLE = (S.RUNNING, S.STOPPED, S.SUSPENDED, S.REBUILDING)
IN_PROGRESS = frozenset({S.PENDING, S.PROVISIONING, S.DELETING})  # a job is carrying it on
GONE = frozenset({S.FAILED, S.DELETED})  # no longer claims a guest
TRANSITIONS: dict[ServerStatus, frozenset[ServerStatus]] = {
    S.PENDING: frozenset({S.PROVISIONING, S.FAILED}),
    S.PROVISIONING: frozenset({S.RUNNING, S.FAILED}),
    S.RUNNING: frozenset({S.STOPPED, S.SUSPENDED, S.REBUILDING, S.DELETING}),
    S.STOPPED: frozenset({S.RUNNING, S.SUSPENDED, S.REBUILDING, S.DELETING}),
    S.SUSPENDED: frozenset({S.RUNNING, S.STOPPED, S.DELETING}),
    S.REBUILDING: frozenset({S.RUNNING, S.STOPPED}),
    S.DELETING: frozenset({S.DELETED}),
    S.FAILED: frozenset({S.DELETING}),
    S.DELETED: frozenset(),
}
