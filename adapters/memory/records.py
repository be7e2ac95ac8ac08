"""Metrics, the outbox, the audit log and idempotency keys in memory."""

from __future__ import annotations

import builtins
import datetime as dt

import attrs

from adapters.memory.tables import Tables
from domain.model.alerts import AlertState, Metric
from domain.model.errors import AlreadyExists, NotFound
from domain.model.metrics import Counters, MetricSample
from domain.model.notices import Notice, NoticeStatus
from ports.audit import AuditQuery, AuditRecord
from ports.idempotency import IdempotencyRecord, StoredResponse
from ports.metrics import StatsSample
from ports.paging import Page

# Samples kept per server in memory: a day at the default 30-second interval.
HISTORY_RING = 2880


class InMemoryMetricsRepository:
    def __init__(self, uow: Tables) -> None:
        self._uow = uow

    def latest(self, server_id: int) -> StatsSample | None:
        ring: tuple[MetricSample, ...] = self._uow.read("metric_history").get(server_id, ())
        return StatsSample.of(ring[-1]) if ring else None

    def alert_state(self, server_id: int, metric: Metric) -> AlertState:
        found: AlertState | None = self._uow.read("alert_states").get((server_id, metric))
        return found if found is not None else AlertState(server_id, metric)

    def save_alert_state(self, state: AlertState) -> None:
        self._uow.write("alert_states")[(state.server_id, state.metric)] = state

    def counters(self) -> dict[int, Counters]:
        return dict(self._uow.read("counters"))

    def alert_states(self) -> dict[tuple[int, Metric], AlertState]:
        return dict(self._uow.read("alert_states"))

    def record_pass(self, samples: list[MetricSample], counters: dict[int, Counters]) -> None:
        history = self._uow.write("metric_history")
        for sample in sorted(samples, key=lambda s: s.at):
            # A tuple replaced, never a list changed in place: a rollback restores the old one.
            ring = history.get(sample.server_id, ())
            history[sample.server_id] = (*ring[-(HISTORY_RING - 1) :], sample)
        self._uow.write("counters").update(counters)

    def history(
        self,
        server_id: int,
        start: dt.datetime,
        end: dt.datetime,
        *,
        rollups: bool,
        step: int | None = None,
    ) -> list[MetricSample]:
        """The sandbox keeps raw samples only (a bounded ring): rollups are read from them."""
        ring: tuple[MetricSample, ...] = self._uow.read("metric_history").get(server_id, ())
        return [s for s in ring if start <= s.at < end]

    def maintain(self, now: dt.datetime, raw_days: int, rollup_days: int) -> dict[str, int]:
        return {}  # the ring bounds itself


class InMemoryOutboxRepository:
    def __init__(self, uow: Tables) -> None:
        self._uow = uow

    def next_id(self) -> int:
        return self._uow.next_id("notices")

    def add(self, notice: Notice) -> None:
        if notice.id in self._table():
            raise AlreadyExists(f"notice {notice.id} exists", id=notice.id)
        self._uow.write("notices")[notice.id] = notice
        self._uow.saw_id("notices", notice.id)

    def pending(self, limit: int) -> list[Notice]:
        table = self._table()
        unsent = [table[i] for i in sorted(table) if table[i].sent_at is None]
        return unsent[: max(limit, 0)]

    def claim_due(self, now: dt.datetime, limit: int) -> list[Notice]:
        # Units of work on the memory store run one at a time: holding it is holding the notices.
        table = self._table()
        return [table[i] for i in sorted(table) if table[i].is_due(now)][: max(limit, 0)]

    def stalled(self, claimed_before: dt.datetime, limit: int) -> list[Notice]:
        table = self._table()
        oldest_first = (table[i] for i in sorted(table))
        return [
            n
            for n in oldest_first
            if n.status is NoticeStatus.SENDING
            and n.claimed_at is not None
            and n.claimed_at <= claimed_before
        ][: max(limit, 0)]

    def update(self, notice: Notice) -> None:
        if notice.id not in self._table():
            raise NotFound("notice", notice.id)
        self._uow.write("notices")[notice.id] = notice

    def for_account(self, account_id: int) -> list[Notice]:
        """Oldest first."""
        table = self._table()
        return [table[i] for i in sorted(table) if table[i].account_id == account_id]

    def list(self, page: Page) -> tuple[builtins.list[Notice], int]:
        table = self._table()
        return page.cut([table[i] for i in sorted(table, reverse=True)])

    def _table(self) -> dict[int, Notice]:
        table: dict[int, Notice] = self._uow.read("notices")
        return table


class InMemoryAuditLog:
    def __init__(self, uow: Tables) -> None:
        self._uow = uow

    def record(self, entry: AuditRecord) -> None:
        self._uow.write("audit").append(entry)

    def recent(self, limit: int) -> list[AuditRecord]:
        """Newest first."""
        entries: list[AuditRecord] = self._uow.read("audit")
        return list(reversed(entries[-limit:])) if limit > 0 else []

    def search(self, query: AuditQuery, page: Page) -> tuple[list[AuditRecord], int]:
        entries: list[AuditRecord] = self._uow.read("audit")
        return page.cut([e for e in reversed(entries) if query.matches(e)])


class InMemoryIdempotencyStore:
    def __init__(self, uow: Tables) -> None:
        self._uow = uow

    def claim(
        self, record: IdempotencyRecord, *, stale_before: dt.datetime | None = None
    ) -> IdempotencyRecord | None:
        key = (record.account_id, record.key)
        existing: IdempotencyRecord | None = self._uow.read("idempotency").get(key)
        # One process holds everything here: a claim outlives its request only by its lease.
        stale = (
            existing is not None
            and existing.response is None
            and existing.fingerprint == record.fingerprint
            and not existing.changed  # its change was committed: never run again
            and stale_before is not None
            and existing.created_at < stale_before
        )
        if existing is not None and not stale:
            return existing
        self._uow.write("idempotency")[key] = record
        return None

    def complete(self, account_id: int, key: str, response: StoredResponse) -> None:
        existing: IdempotencyRecord | None = self._uow.read("idempotency").get((account_id, key))
        if existing is not None:
            self._uow.write("idempotency")[(account_id, key)] = attrs.evolve(
                existing, response=response
            )

    def mark_changed(self, account_id: int, key: str) -> None:
        """In the commit of a change the claiming request makes (see REQUEST_CLAIM)."""
        existing: IdempotencyRecord | None = self._uow.read("idempotency").get((account_id, key))
        if existing is not None and existing.response is None and not existing.changed:
            self._uow.write("idempotency")[(account_id, key)] = attrs.evolve(existing, changed=True)

    def release(self, account_id: int, key: str) -> None:
        existing: IdempotencyRecord | None = self._uow.read("idempotency").get((account_id, key))
        if existing is not None and not existing.changed:
            del self._uow.write("idempotency")[(account_id, key)]

    def purge_before(self, moment: dt.datetime) -> int:
        table: dict[tuple[int, str], IdempotencyRecord] = self._uow.read("idempotency")
        old = [k for k, r in table.items() if r.created_at < moment]
        if old:
            writable = self._uow.write("idempotency")
            for k in old:
                del writable[k]
        return len(old)
