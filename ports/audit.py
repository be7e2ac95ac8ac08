"""The audit log: who did what to what, and with which result."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

import attrs

from ports.paging import Page


@attrs.frozen
class AuditRecord:
    at: dt.datetime
    actor_id: int | None
    action: str  # e.g. "server.create"
    target: str  # e.g. "server:42"
    result: str  # "ok" or an error code
    details: tuple[tuple[str, str], ...] = ()


@attrs.frozen
class AuditQuery:
    """Which audit entries to read; every filter given must hold."""

    actor_id: int | None = None
    target: str | None = None  # exact ("account:5"), or a prefix when it ends in "*" ("server:*")
    since: dt.datetime | None = None  # inclusive
    until: dt.datetime | None = None  # exclusive

    def matches(self, entry: AuditRecord) -> bool:
        if self.actor_id is not None and entry.actor_id != self.actor_id:
            return False
        if self.target is not None:
            if self.target.endswith("*"):
                if not entry.target.startswith(self.target[:-1]):
                    return False
            elif entry.target != self.target:
                return False
        if self.since is not None and entry.at < self.since:
            return False
        return self.until is None or entry.at < self.until


class AuditLog(Protocol):
    def record(self, entry: AuditRecord) -> None: ...
    def recent(self, limit: int) -> list[AuditRecord]: ...
    def search(self, query: AuditQuery, page: Page) -> tuple[list[AuditRecord], int]:
        """One page of the entries `query` selects, newest first, and how many it selects."""
        ...
