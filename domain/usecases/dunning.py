"""The dunning run: move each account to the standing its balance calls for, with one notice per
step.

Suspension stops the account's servers (data kept); termination deletes them; paying restores the
account and starts again the servers that dunning stopped.
"""

from __future__ import annotations

import datetime as dt

import attrs

from domain.model.accounts import Account
from domain.model.action import ActionCommand
from domain.model.dunning import Standing, assess
from domain.model.money import Money
from domain.model.server import ServerStatus
from domain.usecases.common import account_of, begin_action, notify, wallet_balance
from domain.usecases.runtime import Runtime
from domain.usecases.servers import ACTION_TASK, begin_deletion
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
            if server.status.billable:
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
        if verdict.standing is Standing.SUSPENDED:
            acted = _suspend_servers(uow, account, now)
        elif verdict.standing is Standing.TERMINATED:
            acted = _terminate_servers(uow, account, now)
        elif verdict.standing.may_order:
            acted = _restore_servers(uow, account, now)
        else:
            acted = 0
        if not verdict.changed and not acted:
            return None
        if verdict.notice is not None:
            notify(uow, account, verdict.notice, now, balance=str(wallet_balance(uow, account)))
        uow.commit()
        return verdict.standing if verdict.changed else None


def _suspend_servers(uow: UnitOfWork, account: Account, now: dt.datetime) -> int:
    acted = 0
    for server in uow.servers.for_owner(account.id):
        if (
            server.status in (ServerStatus.RUNNING, ServerStatus.STOPPED)
            and server.active_action_id is None
        ):
            action = begin_action(uow, server, ActionCommand.SUSPEND, "suspend", now)
            server.suspend(now)
            uow.servers.update(server)
            uow.jobs.defer(ACTION_TASK, lock=f"server:{server.id}", action_id=action.id)
            acted += 1
    return acted


def _terminate_servers(uow: UnitOfWork, account: Account, now: dt.datetime) -> int:
    acted = 0
    for server in uow.servers.for_owner(account.id):
        if server.active_action_id is None and server.status in (
            ServerStatus.RUNNING,
            ServerStatus.STOPPED,
            ServerStatus.SUSPENDED,
            ServerStatus.FAILED,
        ):
            begin_deletion(uow, server, now)
            acted += 1
    return acted


def _restore_servers(uow: UnitOfWork, account: Account, now: dt.datetime) -> int:
    acted = 0
    for server in uow.servers.for_owner(account.id):
        if server.status is ServerStatus.SUSPENDED and server.active_action_id is None:
            action = begin_action(uow, server, ActionCommand.UNSUSPEND, "unsuspend", now)
            uow.servers.update(server)
            uow.jobs.defer(ACTION_TASK, lock=f"server:{server.id}", action_id=action.id)
            acted += 1
    return acted
