"""Administration: customers, their servers, and an admin's suspension of an account."""

from __future__ import annotations

from domain.model.accounts import Account
from domain.model.server import Server
from domain.usecases.common import Actor, account_of, audit
from domain.usecases.runtime import Runtime
from ports.records import Page


def list_customers(rt: Runtime, actor: Actor, page: Page) -> tuple[list[Account], int]:
    actor.require_admin()
    with rt.uow() as uow:
        return uow.accounts.list(page)


def list_all_servers(rt: Runtime, actor: Actor, page: Page) -> tuple[list[Server], int]:
    actor.require_admin()
    with rt.uow() as uow:
        return uow.servers.list(page)


def set_account_disabled(
    rt: Runtime, actor: Actor, customer_id: object, *, disabled: bool
) -> Account:
    """Disable (or enable) an account: it can no longer log in or use its tokens. Servers keep
    running; stopping them is dunning's business, not a login switch's."""
    actor.require_admin()
    with rt.uow() as uow:
        account = account_of(uow, customer_id)
        account.disabled = disabled
        uow.accounts.update(account)
        audit(
            uow,
            actor,
            "account.disable" if disabled else "account.enable",
            f"account:{account.id}",
            rt.clock.now(),
        )
        uow.commit()
    return account
