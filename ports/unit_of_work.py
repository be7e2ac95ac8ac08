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

from ports.audit import AuditLog
from ports.billing import BillingBatches
from ports.console import ConsoleLinkRepository
from ports.idempotency import IdempotencyStore
from ports.messaging import JobQueue
from ports.metrics import MetricsRepository
from ports.payments import PaymentRepository
from ports.promos import PromoCodeRepository
from ports.repositories import (
    AccountRepository,
    ActionRepository,
    CatalogueRepository,
    LedgerRepository,
    NetworkRepository,
    OutboxRepository,
    ServerRepository,
    TokenRepository,
    WarmPoolRepository,
)
from ports.ssh_keys import SshKeyRepository
from ports.statements import LedgerHistory
from ports.tickets import TicketRepository
from ports.two_factor import SecondFactorRepository
from ports.webhooks import DeliveryRepository, WebhookRepository


class UnitOfWork(Protocol):
    # Read-only: each store's unit of work holds its own repositories, whatever their class.
    @property
    def accounts(self) -> AccountRepository: ...
    @property
    def tokens(self) -> TokenRepository: ...
    @property
    def servers(self) -> ServerRepository: ...
    @property
    def actions(self) -> ActionRepository: ...
    @property
    def ledger(self) -> LedgerRepository: ...
    @property
    def promos(self) -> PromoCodeRepository: ...
    @property
    def network(self) -> NetworkRepository: ...
    @property
    def catalogue(self) -> CatalogueRepository: ...
    @property
    def metrics(self) -> MetricsRepository: ...
    @property
    def outbox(self) -> OutboxRepository: ...
    @property
    def audit(self) -> AuditLog: ...
    @property
    def idempotency(self) -> IdempotencyStore: ...
    @property
    def warm_pool(self) -> WarmPoolRepository: ...
    @property
    def billing(self) -> BillingBatches: ...
    @property
    def webhooks(self) -> WebhookRepository: ...
    @property
    def deliveries(self) -> DeliveryRepository: ...
    @property
    def ssh_keys(self) -> SshKeyRepository: ...
    @property
    def jobs(self) -> JobQueue: ...
    @property
    def second_factors(self) -> SecondFactorRepository: ...
    @property
    def ledger_history(self) -> LedgerHistory: ...  # what statements read
    @property
    def tickets(self) -> TicketRepository: ...
    @property
    def console_links(self) -> ConsoleLinkRepository: ...
    @property
    def payments(self) -> PaymentRepository: ...

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
