"""Plain records the repositories keep that are not domain aggregates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from contextvars import ContextVar
from typing import TypeVar

import attrs

from domain.model.metrics import MetricSample

T = TypeVar("T")


@attrs.frozen
class Page:
    page: int = 1
    per_page: int = 25

    def __attrs_post_init__(self) -> None:
        if self.page < 1 or not 1 <= self.per_page <= 100:
            raise ValueError("page starts at 1 and per_page is within 1..100")

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    def cut(self, items: Sequence[T]) -> tuple[list[T], int]:
        """This page of `items` (in their order), and how many there are in all."""
        return list(items[self.offset : self.offset + self.per_page]), len(items)


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


@attrs.frozen
class StoredResponse:
    status: int
    body: bytes
    content_type: str


@attrs.frozen
class IdempotencyRecord:
    """A claimed Idempotency-Key: in progress until `response` is stored."""

    account_id: int
    key: str
    fingerprint: str  # sha256 of method, path and body
    created_at: dt.datetime
    response: StoredResponse | None = None
    # A change of the claiming request was committed (known to a store that outlives processes):
    # without a response, the request ran and its answer was lost.
    changed: bool = False


# The Idempotency-Key claim (account id, key) of the request being served in this context, while
# its handler runs. A store that outlives processes marks the claim in the transaction of every
# change the handler commits, so that a retry after a crash tells "never ran" (run it) from "ran,
# answer lost" (never run it twice).
REQUEST_CLAIM: ContextVar[tuple[int, str] | None] = ContextVar("request_claim", default=None)


@attrs.frozen
class Redemption:
    code_id: int
    customer_id: int
    reference: str  # "server:42" or "balance"
    at: dt.datetime


@attrs.frozen
class StatsSample:
    """A server's newest figures, as whole percents (read from its metrics history)."""

    server_id: int
    at: dt.datetime
    cpu_percent: int
    memory_percent: int
    disk_percent: int

    @classmethod
    def of(cls, sample: MetricSample) -> StatsSample:
        return cls(
            sample.server_id,
            sample.at,
            round(sample.cpu),
            round(sample.memory),
            round(sample.disk),
        )
