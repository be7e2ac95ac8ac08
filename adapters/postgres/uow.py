"""The PostgreSQL unit of work: one pooled connection and one transaction per `with uow:`.

Isolation: READ COMMITTED, with explicit row locks exactly where the in-memory store relied on
running units of work one at a time:
- `servers.get_for_update` takes the server row (`SELECT ... FOR UPDATE`);
- `ledger.post` locks the balance rows of the accounts it touches, sorted by key, and the hold it
  settles (see adapters/postgres/ledger.py);
- `promos.redeem` and `give_back` lock the promo code row;
- the catalogue is published under a table lock.
Everything else is a single-row write guarded by a unique constraint (addresses, VLANs, e-mails,
idempotency keys, transaction keys), claimed with `INSERT ... ON CONFLICT DO NOTHING`.
Why not SERIALIZABLE: every use case would then need a retry loop around the whole unit of work
(external calls included), and hot rows would fail instead of wait. Locks make the few contended
rows queue, which is what a balance or a promo code needs, and never ask the caller to retry.

Jobs (`uow.jobs`) are buffered and handed over at commit, through one of two seams:
- `job_sink(connection, jobs)`: called inside the transaction right before COMMIT, so jobs and rows
  commit or vanish together. The procrastinate adapter plugs in here, deferring each job with
  `configure_task(name, lock=..., connection=connection).defer(**args)`.
- otherwise `job_queue`: jobs are given to it after COMMIT and after the connection is back in the
  pool (an inline queue may run a job at once, and that job opens its own unit of work).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any, TypeVar

import attrs
import psycopg
from psycopg_pool import ConnectionPool

from adapters.first_use import on_first_use
from adapters.postgres.accounts import PostgresAccountRepository, PostgresTokenRepository
from adapters.postgres.billing import PostgresBillingBatches
from adapters.postgres.catalogue_cache import CatalogueCache
from adapters.postgres.console_links import PostgresConsoleLinkRepository
from adapters.postgres.ledger import PostgresLedger
from adapters.postgres.metrics import PostgresMetricsRepository
from adapters.postgres.network import PostgresNetworkRepository
from adapters.postgres.payments import PostgresPaymentRepository
from adapters.postgres.promos import PostgresPromoCodeRepository
from adapters.postgres.records import (
    PostgresAuditLog,
    PostgresCatalogueRepository,
    PostgresIdempotencyStore,
    PostgresOutboxRepository,
)
from adapters.postgres.servers import PostgresActionRepository, PostgresServerRepository
from adapters.postgres.session import Db, translated
from adapters.postgres.ssh_keys import PostgresSshKeyRepository
from adapters.postgres.statements import PostgresLedgerHistory
from adapters.postgres.tickets import PostgresTicketRepository
from adapters.postgres.two_factor import PostgresSecondFactorRepository
from adapters.postgres.warm_pool import PostgresWarmPoolRepository
from adapters.postgres.webhooks import PostgresDeliveryRepository, PostgresWebhookRepository
from ports.idempotency import REQUEST_CLAIM
from ports.messaging import JobQueue


@attrs.frozen
class PendingJob:
    task: str
    args: dict[str, Any] = attrs.field(hash=False)
    lock: str | None = None


JobSink = Callable[[psycopg.Connection, list[PendingJob]], None]


class BufferedJobs:
    """`uow.jobs`: a JobQueue that keeps jobs until the unit of work commits."""

    def __init__(self) -> None:
        self.buffered: list[PendingJob] = []

    def defer(self, task: str, *, lock: str | None = None, **args: Any) -> None:
        self.buffered.append(PendingJob(task, dict(args), lock))

    def take(self) -> list[PendingJob]:
        jobs, self.buffered = self.buffered, []
        return jobs


def hand_to_queue(queue: JobQueue, jobs: list[PendingJob]) -> None:
    for job in jobs:
        queue.defer(job.task, lock=job.lock, **job.args)


R = TypeVar("R")


def _with_db(make: Callable[[Db], R]) -> Callable[[PostgresUnitOfWork], R]:
    return lambda uow: make(uow._db)


def _tokens(uow: PostgresUnitOfWork) -> PostgresTokenRepository:
    return PostgresTokenRepository(uow._db, uow.accounts)


def _catalogue(uow: PostgresUnitOfWork) -> PostgresCatalogueRepository:
    return PostgresCatalogueRepository(uow._db, uow._catalogue_cache)


class PostgresUnitOfWork:
    # The repositories it lends, each made on first use (adapters/first_use.py).
    accounts = on_first_use(_with_db(PostgresAccountRepository))
    tokens = on_first_use(_tokens)
    servers = on_first_use(_with_db(PostgresServerRepository))
    actions = on_first_use(_with_db(PostgresActionRepository))
    ledger_history = on_first_use(_with_db(PostgresLedgerHistory))
    ledger = on_first_use(_with_db(PostgresLedger))
    promos = on_first_use(_with_db(PostgresPromoCodeRepository))
    network = on_first_use(_with_db(PostgresNetworkRepository))
    catalogue = on_first_use(_catalogue)
    metrics = on_first_use(_with_db(PostgresMetricsRepository))
    outbox = on_first_use(_with_db(PostgresOutboxRepository))
    tickets = on_first_use(_with_db(PostgresTicketRepository))
    audit = on_first_use(_with_db(PostgresAuditLog))
    idempotency = on_first_use(_with_db(PostgresIdempotencyStore))
    warm_pool = on_first_use(_with_db(PostgresWarmPoolRepository))
    billing = on_first_use(_with_db(PostgresBillingBatches))
    payments = on_first_use(_with_db(PostgresPaymentRepository))
    console_links = on_first_use(_with_db(PostgresConsoleLinkRepository))
    second_factors = on_first_use(_with_db(PostgresSecondFactorRepository))
    webhooks = on_first_use(_with_db(PostgresWebhookRepository))
    deliveries = on_first_use(_with_db(PostgresDeliveryRepository))
    ssh_keys = on_first_use(_with_db(PostgresSshKeyRepository))

    def __init__(
        self,
        pool: ConnectionPool,
        *,
        job_queue: JobQueue | None,
        job_sink: JobSink | None,
        catalogue_cache: CatalogueCache | None = None,
    ) -> None:
        if (job_queue is None) == (job_sink is None):
            raise ValueError("give a unit of work either a job_queue or a job_sink")
        self._pool = pool
        self._job_queue = job_queue
        self._job_sink = job_sink
        self._conn: psycopg.Connection | None = None
        self._committed: list[PendingJob] = []
        self.jobs = BufferedJobs()
        self._db = Db(self._require, self._connection)
        self._catalogue_cache = catalogue_cache

    def __enter__(self) -> PostgresUnitOfWork:
        if self._conn is not None:
            raise RuntimeError("this unit of work is already open")
        with translated():
            conn = self._pool.getconn()
        # Reads run outside a transaction until the first statement that needs one (see `Db`).
        conn.autocommit = True
        self._conn = conn
        self._committed = []
        self.jobs.take()
        return self

    def __exit__(self, *exc: object) -> None:
        conn = self._connection()
        try:
            self.jobs.take()
            if not conn.closed:
                # Whatever was not committed. A broken connection cannot roll back, and need
                # not: the pool discards it on putconn.
                with contextlib.suppress(psycopg.Error):
                    conn.rollback()  # nothing to send when no transaction began
                    conn.autocommit = False  # as the pool's other users expect it
        finally:
            self._conn = None
            self._pool.putconn(conn)
        jobs, self._committed = self._committed, []
        if jobs and self._job_queue is not None:
            hand_to_queue(self._job_queue, jobs)

    def commit(self) -> None:
        conn = self._connection()
        jobs = self.jobs.take()
        claim = REQUEST_CLAIM.get()
        if conn.autocommit and not jobs:
            return  # nothing was written: there is no transaction to commit
        conn = self._require()
        with translated():
            if self._job_sink is not None and jobs:
                self._job_sink(conn, jobs)
            if claim is not None:  # the request's Idempotency-Key: a change of it is committed
                self.idempotency.mark_changed(*claim)
            conn.commit()  # deferred constraints (the ledger balances) are checked here
            conn.autocommit = True  # what this unit of work reads next needs no transaction
        if self._job_sink is None:
            self._committed.extend(jobs)

    def rollback(self) -> None:
        conn = self._connection()
        self.jobs.take()
        with translated():
            conn.rollback()
            conn.autocommit = True

    def _require(self) -> psycopg.Connection:
        """The connection inside this unit of work's transaction: the next statement begins it."""
        conn = self._connection()
        if conn.autocommit:
            with translated():
                conn.autocommit = False
        return conn

    def _connection(self) -> psycopg.Connection:
        """The connection as it stands: outside a transaction until something needed one."""
        if self._conn is None:
            raise RuntimeError("use the unit of work inside `with uow:`")
        return self._conn


class PostgresUnitOfWorkFactory:
    """`factory()` is a fresh unit of work on the pool (the port's UnitOfWorkFactory)."""

    def __init__(
        self,
        pool: ConnectionPool,
        *,
        job_queue: JobQueue | None = None,
        job_sink: JobSink | None = None,
    ) -> None:
        self.pool = pool
        self.job_queue = job_queue
        self.job_sink = job_sink
        self.catalogue_cache = CatalogueCache()  # this database's, shared by its units of work

    def __call__(self) -> PostgresUnitOfWork:
        return PostgresUnitOfWork(
            self.pool,
            job_queue=self.job_queue,
            job_sink=self.job_sink,
            catalogue_cache=self.catalogue_cache,
        )

    uow = __call__
