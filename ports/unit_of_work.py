"""The UnitOfWork: one atomic change across every repository.

    with uow:
        ...read and write through uow.<repository>...
        uow.commit()

Leaving the block without `commit()` (or through an exception) rolls everything back, including the
jobs deferred through `uow.jobs`: a job is never run for a change that did not happen.
"""

from __future__ import annotations

from types import TracebackType
from typing import Protocol

from ports.billing import BillingBatches
from ports.messaging import JobQueue
from ports.repositories import (
    AccountRepository,
    ActionRepository,
    AuditLog,
    CatalogueRepository,
    IdempotencyStore,
    LedgerRepository,
    MetricsRepository,
    NetworkRepository,
    OutboxRepository,
    PromoCodeRepository,
    ServerRepository,
    TokenRepository,
    WarmPoolRepository,
)
from ports.ssh_keys import SshKeyRepository
from ports.two_factor import SecondFactorRepository
from ports.webhooks import DeliveryRepository, WebhookRepository


class UnitOfWork(Protocol):
    accounts: AccountRepository
    tokens: TokenRepository
    servers: ServerRepository
    actions: ActionRepository
    ledger: LedgerRepository
    promos: PromoCodeRepository
    network: NetworkRepository
    catalogue: CatalogueRepository
    metrics: MetricsRepository
    outbox: OutboxRepository
    audit: AuditLog
    idempotency: IdempotencyStore
    warm_pool: WarmPoolRepository
    billing: BillingBatches
    webhooks: WebhookRepository
    deliveries: DeliveryRepository
    ssh_keys: SshKeyRepository
    jobs: JobQueue
    second_factors: SecondFactorRepository

    def __enter__(self) -> UnitOfWork: ...

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork:
        """A fresh unit of work; units of work are not shared between threads."""
        ...
