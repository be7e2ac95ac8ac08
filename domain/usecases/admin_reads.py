"""What an admin reads about anyone: the audit log, and any customer's transactions and servers."""

from __future__ import annotations

from domain.model.ledger import Transaction
from domain.model.server import Server
from domain.usecases.actors import Actor, account_of
from domain.usecases.runtime import Runtime
from ports.audit import AuditQuery, AuditRecord
from ports.paging import Page


def read_audit(
    rt: Runtime, actor: Actor, query: AuditQuery, page: Page
) -> tuple[list[AuditRecord], int]:
    actor.require_admin()
    with rt.uow() as uow:
        return uow.audit.search(query, page)


def customer_transactions(
    rt: Runtime, actor: Actor, customer_id: int, page: Page
) -> tuple[list[Transaction], int]:
    actor.require_admin()
    with rt.uow() as uow:
        account = account_of(uow, customer_id)
        return uow.ledger.for_customer(account.id, page)


def customer_servers(
    rt: Runtime, actor: Actor, customer_id: int, page: Page
) -> tuple[list[Server], int]:
    """Every server the customer ever had, deleted ones too (an admin reads the history)."""
    actor.require_admin()
    with rt.uow() as uow:
        account = account_of(uow, customer_id)
        servers = uow.servers.for_owner(account.id, include_deleted=True)  # in id order
    return page.cut(servers)
