"""Administration: customers, their servers, and an admin's suspension of an account."""

from __future__ import annotations

import attrs

from domain.model.accounts import Account
from domain.model.action import Action
from domain.model.errors import Conflict
from domain.model.server import Server
from domain.usecases.actors import Actor, account_of
from domain.usecases.dunning import servers_in_line
from domain.usecases.paper_trail import audit
from domain.usecases.runtime import Runtime
from ports.paging import Page
from ports.unit_of_work import UnitOfWork


def list_customers(rt: Runtime, actor: Actor, page: Page) -> tuple[list[Account], int]:
    actor.require_admin()
    with rt.uow() as uow:
        return uow.accounts.list(page)


def list_all_servers(rt: Runtime, actor: Actor, page: Page) -> tuple[list[Server], int]:
    actor.require_admin()
    with rt.uow() as uow:
        return uow.servers.list(page)


@attrs.frozen
class Suspension:
    account: Account
    actions: list[Action]  # the server actions that carry it out, to poll


def suspend_account(rt: Runtime, actor: Actor, customer_id: int) -> Suspension:
    """An admin suspends an account: it can no longer log in or use its tokens, and its servers are
    stopped by suspend actions and not billed while suspended; their data is kept. A server busy
    with another action is suspended by the next dunning run.

    An admin cannot suspend their own account: the only admin doing so would lock every admin
    out."""
    actor.require_admin()
    if customer_id == actor.account_id:
        raise Conflict(
            "an administrator cannot suspend their own account", reason="self_suspension"
        )
    with rt.uow() as uow:
        return _set_suspended(rt, uow, account_of(uow, customer_id, for_update=True), actor, True)


def reinstate_account(rt: Runtime, actor: Actor, customer_id: int) -> Suspension:
    """Lift an admin's suspension: logins work again, the servers are billed again from now and
    started again by unsuspend actions (unless dunning holds them for an unpaid balance)."""
    actor.require_admin()
    with rt.uow() as uow:
        return _set_suspended(rt, uow, account_of(uow, customer_id, for_update=True), actor, False)


def set_account_disabled(rt: Runtime, actor: Actor, customer_id: int, *, disabled: bool) -> Account:
    change = suspend_account if disabled else reinstate_account
    return change(rt, actor, customer_id).account


def _set_suspended(
    rt: Runtime, uow: UnitOfWork, account: Account, actor: Actor, suspended: bool
) -> Suspension:
    now = rt.clock.now()
    account.disabled = suspended
    uow.accounts.update(account)
    actions = servers_in_line(uow, account, account.standing, now)
    audit(
        uow,
        actor,
        "account.disable" if suspended else "account.enable",
        f"account:{account.id}",
        now,
        **({"actions": ",".join(str(a.id) for a in actions)} if actions else {}),
    )
    uow.commit()
    return Suspension(account, actions)
