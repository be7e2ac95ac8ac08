"""The in-memory store and its unit of work: serialized transactions with copy-on-write rollback.

One InMemoryStore holds every table. A unit of work takes the store's lock for its whole life, so
transactions never interleave (the memory equivalent of SERIALIZABLE). Writes change the tables in
place through a journal (journal.py) that keeps each entry's value before its first change;
rollback puts those back. Tables hold only immutable values, or copies of mutable aggregates, so
the value kept is a complete snapshot of its entry.

Id counters live outside the tables: an id handed out is never handed out again, even after a
rollback.
"""

from __future__ import annotations

import itertools
import threading
from typing import Any

from adapters.first_use import on_first_use
from adapters.memory.accounts import InMemoryAccountRepository, InMemoryTokenRepository
from adapters.memory.billing import InMemoryBillingBatches
from adapters.memory.catalogue import InMemoryCatalogueRepository
from adapters.memory.console_links import InMemoryConsoleLinkRepository
from adapters.memory.jobs import InlineJobQueue, Job, submit_jobs
from adapters.memory.journal import DictChanges, ListChanges
from adapters.memory.ledger import InMemoryLedger
from adapters.memory.network import InMemoryNetworkRepository
from adapters.memory.payments import InMemoryPaymentRepository
from adapters.memory.promos import InMemoryPromoCodeRepository
from adapters.memory.records import (
    InMemoryAuditLog,
    InMemoryIdempotencyStore,
    InMemoryMetricsRepository,
    InMemoryOutboxRepository,
)
from adapters.memory.servers import InMemoryActionRepository, InMemoryServerRepository
from adapters.memory.ssh_keys import InMemorySshKeyRepository
from adapters.memory.statements import InMemoryLedgerHistory
from adapters.memory.tickets import InMemoryTicketRepository
from adapters.memory.two_factor import InMemorySecondFactorRepository
from adapters.memory.warm_pool import InMemoryWarmPoolRepository
from adapters.memory.webhooks import InMemoryDeliveryRepository, InMemoryWebhookRepository
from ports.idempotency import REQUEST_CLAIM
from ports.messaging import JobQueue

TABLES = (
    "accounts",
    "tokens",
    "servers",
    "actions",
    "ledger_txs",  # list of Transaction in posting order
    "ledger_keys",  # key -> Transaction
    "ledger_balances",  # LedgerAccount -> int
    "ledger_unsettled",  # hold key -> int
    "promos",
    "redemptions",  # list of (code_id, Redemption)
    "ip_pools",  # cidr -> IpPool
    "ip_by_address",  # (cidr, ip) -> server id
    "ip_by_server",  # server id -> (cidr, ip)
    "vlan_by_customer",  # (customer id, location id) -> tag
    "vlan_by_tag",  # (location id, tag) -> customer id
    "catalogues",  # version -> Catalogue
    "alert_states",  # (server id, Metric) -> AlertState
    "counters",  # server id -> Counters at its latest sample
    "metric_history",  # server id -> tuple of MetricSample, a bounded ring
    "notices",
    "tickets",  # ticket id -> Ticket
    "audit",  # list of AuditRecord
    "idempotency",  # (account id, key) -> IdempotencyRecord
    "warm_pool",  # pooled guest id -> PooledGuest
    "payments",  # payment id -> Payment (with its refunds)
    "console_links",  # digest -> ConsoleLink
    "second_factors",  # account id -> SecondFactor
    "webhooks",
    "webhook_deliveries",
    "ssh_keys",
)


class InMemoryStore:
    """All the data of one in-memory back office; call it (or `.uow()`) for a fresh unit of work."""

    def __init__(self, job_queue: JobQueue | None = None) -> None:
        self.lock = threading.RLock()
        self.tables: dict[str, Any] = {name: [] if _is_list(name) else {} for name in TABLES}
        self.job_queue: JobQueue = (
            job_queue if job_queue is not None else InlineJobQueue(auto_run=False)
        )
        self._counters: dict[str, itertools.count[int]] = {}
        self._floors: dict[str, int] = {}
        self._counter_lock = threading.Lock()
        self._local = threading.local()

    def uow(self) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self)

    __call__ = uow

    def bind_job_queue(self, job_queue: JobQueue) -> None:
        self.job_queue = job_queue

    # --- id sequences (outside every snapshot) ---------------------------------------------------
    def next_id(self, sequence: str) -> int:
        with self._counter_lock:
            counter = self._counters.setdefault(sequence, itertools.count(1))
            value = next(counter)
            floor = self._floors.get(sequence, 0)
            if value <= floor:
                # An id was stored explicitly (a seeded fixture); never hand it out.
                value = floor + 1
                self._counters[sequence] = itertools.count(value + 1)
            return value

    def saw_id(self, sequence: str, used: int) -> None:
        """Remember an id stored without next_id, so next_id never returns it."""
        with self._counter_lock:
            if used > self._floors.get(sequence, 0):
                self._floors[sequence] = used

    # --- one unit of work per thread at a time ---------------------------------------------------
    def _enter(self) -> None:
        if getattr(self._local, "active", False):
            raise RuntimeError(
                "a unit of work is already open on this thread; nesting is not supported"
            )
        self.lock.acquire()
        self._local.active = True

    def _leave(self) -> None:
        self._local.active = False
        self.lock.release()


def _is_list(name: str) -> bool:
    return name in ("ledger_txs", "redemptions", "audit")


class _DeferredJobs:
    """`uow.jobs`: jobs wait in the unit of work and reach the queue only after commit."""

    def __init__(self) -> None:
        self.buffered: list[Job] = []

    def defer(self, task: str, *, lock: str | None = None, **args: Any) -> None:
        self.buffered.append(Job(task, dict(args), lock))


def _billing(uow: InMemoryUnitOfWork) -> InMemoryBillingBatches:
    return InMemoryBillingBatches(uow, uow.ledger)


class InMemoryUnitOfWork:
    # The repositories it lends, each made on first use (adapters/first_use.py).
    accounts = on_first_use(InMemoryAccountRepository)
    tokens = on_first_use(InMemoryTokenRepository)
    servers = on_first_use(InMemoryServerRepository)
    actions = on_first_use(InMemoryActionRepository)
    ledger_history = on_first_use(InMemoryLedgerHistory)
    ledger = on_first_use(InMemoryLedger)
    promos = on_first_use(InMemoryPromoCodeRepository)
    network = on_first_use(InMemoryNetworkRepository)
    catalogue = on_first_use(InMemoryCatalogueRepository)
    metrics = on_first_use(InMemoryMetricsRepository)
    outbox = on_first_use(InMemoryOutboxRepository)
    tickets = on_first_use(InMemoryTicketRepository)
    audit = on_first_use(InMemoryAuditLog)
    idempotency = on_first_use(InMemoryIdempotencyStore)
    warm_pool = on_first_use(InMemoryWarmPoolRepository)
    billing = on_first_use(_billing)
    payments = on_first_use(InMemoryPaymentRepository)
    console_links = on_first_use(InMemoryConsoleLinkRepository)
    second_factors = on_first_use(InMemorySecondFactorRepository)
    webhooks = on_first_use(InMemoryWebhookRepository)
    deliveries = on_first_use(InMemoryDeliveryRepository)
    ssh_keys = on_first_use(InMemorySshKeyRepository)

    def __init__(self, store: InMemoryStore) -> None:
        self.store = store
        self._active = False
        self._saved: dict[str, DictChanges | ListChanges] = {}  # tables written, to undo
        self._committed_jobs: list[Job] = []
        self.jobs = _DeferredJobs()

    def __enter__(self) -> InMemoryUnitOfWork:
        if self._active:
            raise RuntimeError("this unit of work is already open")
        self.store._enter()
        self._active = True
        self._saved = {}
        self._committed_jobs = []
        self.jobs.buffered = []
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.rollback()  # whatever was not committed
        finally:
            self._active = False
            self.store._leave()
        jobs, self._committed_jobs = self._committed_jobs, []
        if jobs:
            # After the lock is released: a job that opens its own unit of work must not run
            # inside ours.
            submit_jobs(self.store.job_queue, jobs)

    def commit(self) -> None:
        self._require_active()
        claim = REQUEST_CLAIM.get()
        if claim is not None and any(name != "idempotency" for name in self._saved):
            # The request's Idempotency-Key: a change of it is committed (as on PostgreSQL).
            self.idempotency.mark_changed(*claim)
        self._saved = {}
        self._committed_jobs.extend(self.jobs.buffered)
        self.jobs.buffered = []

    def rollback(self) -> None:
        self._require_active()
        for changes in self._saved.values():
            changes.undo()
        self._saved = {}
        self.jobs.buffered = []

    # --- for the repositories --------------------------------------------------------------------
    def read(self, table: str) -> Any:
        self._require_active()
        return self.store.tables[table]

    def write(self, table: str) -> Any:
        """The table, changed in place through a journaled view: rollback undoes each change."""
        self._require_active()
        changes = self._saved.get(table)
        if changes is None:
            current = self.store.tables[table]
            changes = ListChanges(current) if isinstance(current, list) else DictChanges(current)
            self._saved[table] = changes
        return changes.view()

    def next_id(self, sequence: str) -> int:
        self._require_active()
        return self.store.next_id(sequence)

    def saw_id(self, sequence: str, used: int) -> None:
        self.store.saw_id(sequence, used)

    def _require_active(self) -> None:
        if not self._active:
            raise RuntimeError("use the unit of work inside `with uow:`")
