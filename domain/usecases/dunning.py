"""The dunning run: move each account to the standing its balance calls for, with one notice per
step.

Suspension stops the account's servers (data kept); termination deletes them; paying restores the
account and starts again the servers that dunning stopped.

An admin's suspension of an account (`Account.disabled`) comes first: while it holds, the account's
servers are stopped and not billed (data kept), and dunning leaves them alone; reinstating the
account lifts it, and the servers follow the account's standing again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import attrs

from domain.model.accounts import Account
from domain.model.action import Action, ActionCommand
from domain.model.dunning import Standing, assess
from domain.model.money import Money
from domain.model.server import Server, ServerStatus
from domain.model.webhooks import WebhookEvent
from domain.usecases import webhooks
from domain.usecases.actors import account_of, wallet_balance
from domain.usecases.billing import BillingReport, bill_server, billing_run
from domain.usecases.paper_trail import notify
from domain.usecases.runtime import Runtime
from domain.usecases.server_access import begin_action
from domain.usecases.server_jobs import begin_deletion, defer_action
from ports.unit_of_work import UnitOfWork


@attrs.frozen
class DunningReport:
    assessed: int
    changed: dict[str, int]


def dunning_run(rt: Runtime) -> DunningReport:
    with rt.uow() as uow:
        ids = uow.accounts.all_ids()
    changed: dict[str, int] = {}
    for account_id in ids:
        standing = reassess_account(rt, account_id)
        if standing is not None:
            changed[standing.value] = changed.get(standing.value, 0) + 1
    return DunningReport(len(ids), changed)


def bill_and_reassess(
    rt: Runtime, bill: Callable[[Runtime], BillingReport] = billing_run
) -> BillingReport:
    """The billing tick: bill what is due, then re-assess at once every account the run took to
    zero or below. Usage may take a wallet below zero; its standing must not wait for the next
    dunning run, or an account with nothing left could order or grow meanwhile. (A low balance's
    reminder does wait for the dunning run.)"""
    report = bill(rt)
    if report.wallets:
        with rt.uow() as uow:
            balances = uow.ledger.balances(report.wallets)
        for wallet in sorted(w for w, micro in balances.items() if micro <= 0):
            assert wallet.customer_id is not None
            reassess_account(rt, wallet.customer_id)
    return report


def reassess_account(rt: Runtime, account_id: int) -> Standing | None:
    """Apply the account's standing now; returns the new standing if it changed."""
    now = rt.clock.now()
    with rt.uow() as uow:
        account = account_of(uow, account_id)
        if account.is_admin:
            return None
        servers = uow.servers.for_owner(account.id)
        burn = Money.zero(account.currency)
        for server in servers:
            if server.billable:
                burn = burn + server.meter.hourly
        verdict = assess(
            account.standing,
            account.standing_since or account.created_at,
            balance=wallet_balance(uow, account),
            burn_hourly=burn,
            now=now,
            policy=rt.policy.dunning,
        )
        if verdict.changed:
            account.standing, account.standing_since = verdict.standing, verdict.since
            uow.accounts.update(account)
        # The servers are brought in line at every run, not only when the standing changes: one that
        # was busy with another action at that moment (a restart, or its own suspension when the
        # customer paid) is free by a later run.
        servers_in_line(uow, account, verdict.standing, now, servers)
        if verdict.notice is not None:
            balance = wallet_balance(uow, account)
            notify(uow, account, verdict.notice, now, balance=str(balance))
            if verdict.standing is Standing.LOW_BALANCE:
                webhooks.emit(
                    uow,
                    account.id,
                    WebhookEvent.BALANCE_LOW,
                    now,
                    {"balance": {"amount": balance.format(6), "currency": balance.currency}},
                )
        uow.commit()
        return verdict.standing if verdict.changed else None


def servers_in_line(
    uow: UnitOfWork,
    account: Account,
    standing: Standing,
    now: dt.datetime,
    servers: list[Server] | None = None,
) -> list[Action]:
    """Start the actions that bring the account's servers in line with an admin's suspension or,
    without one, with `standing`; returns them. `servers`: the account's servers, when the caller
    has read them in this unit of work already (they are read once, and changed in place)."""
    if servers is None:
        servers = uow.servers.for_owner(account.id)
    if account.disabled:
        return _suspend_servers(uow, servers, now, by_admin=True)
    for server in servers:
        if server.suspended_by_admin:
            server.lift_admin_suspension(now)  # dunning's again, and billed from now
            uow.servers.update(server)
    if standing is Standing.SUSPENDED:
        return _suspend_servers(uow, servers, now)
    if standing is Standing.TERMINATED:
        return _terminate_servers(uow, servers, now)
    # Restricted keeps its servers running, so a suspended one there was an admin's: it comes back.
    return _restore_servers(uow, servers, now)


def _suspend_servers(
    uow: UnitOfWork, servers: list[Server], now: dt.datetime, *, by_admin: bool = False
) -> list[Action]:
    acted = []
    for server in servers:
        if server.allows(ActionCommand.SUSPEND):
            action = begin_action(uow, server, ActionCommand.SUSPEND, now)
            if by_admin:
                bill_server(uow, server, now)  # what it cost until now; nothing from here on
            server.suspend(now, by_admin=by_admin)
            uow.servers.update(server)
            defer_action(uow, server, action)
            acted.append(action)
        elif by_admin and server.status is ServerStatus.SUSPENDED and not server.suspended_by_admin:
            # Already stopped by dunning: the admin's suspension now holds it, unbilled.
            bill_server(uow, server, now)
            server.suspended_by_admin = True
            uow.servers.update(server)
    return acted


def _terminate_servers(uow: UnitOfWork, servers: list[Server], now: dt.datetime) -> list[Action]:
    acted = []
    for server in servers:
        if server.allows(ActionCommand.DELETE):
            acted.append(begin_deletion(uow, server, now))
    return acted


def _restore_servers(uow: UnitOfWork, servers: list[Server], now: dt.datetime) -> list[Action]:
    acted = []
    for server in servers:
        if server.allows(ActionCommand.UNSUSPEND):
            action = begin_action(uow, server, ActionCommand.UNSUSPEND, now)
            uow.servers.update(server)
            defer_action(uow, server, action)
            acted.append(action)
    return acted
