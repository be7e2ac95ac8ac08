"""Idempotency-Key claims: a retried request is answered once, with the answer it first got."""

from __future__ import annotations

import datetime as dt
from contextvars import ContextVar
from typing import Protocol

import attrs


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


class IdempotencyStore(Protocol):
    def claim(
        self, record: IdempotencyRecord, *, stale_before: dt.datetime | None = None
    ) -> IdempotencyRecord | None:
        """Store a new claim and return None, or return the existing record for (account, key).

        An existing claim for the same request (fingerprint) that has no response and whose request
        is no longer running is taken over the same way (replaced, None returned): one claimed
        before `stale_before` (its lease ran out), or, where the store can tell, one whose holding
        process is gone."""
        ...

    def complete(self, account_id: int, key: str, response: StoredResponse) -> None: ...
    def mark_changed(self, account_id: int, key: str) -> None:
        """The claiming request committed a change (called in that change's commit)."""
        ...

    def release(self, account_id: int, key: str) -> None:
        """Forget the claim of a request that failed, so a retry may run: unless it committed a
        change before failing, and then the claim stays and no retry runs it again."""
        ...

    def purge_before(self, moment: dt.datetime) -> int: ...
