"""The money rules of issue 10 through the use cases, on the memory store and on PostgreSQL: a
resize holds its difference (and is refused when the balance does not cover it), an admin's
suspension stops the servers and their billing, a usage charge that overdraws re-assesses the
account at the billing tick; and the operator's command that lets a locked-out admin back in."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

from adapters.memory import FakeClock, InlineJobQueue, InMemoryStore
from adapters.postgres.uow import PostgresUnitOfWorkFactory
from domain.model.accounts import Role
from domain.model.action import ActionStatus
from domain.model.commands import BalanceAdjustment, Credentials, NewAccount, OrderRequest
from domain.model.dunning import Standing
from domain.model.errors import InsufficientFunds
from domain.model.ledger import LedgerAccount, TxKind
from domain.model.server import ServerStatus
from domain.model.server_commands import ResizeServer
from domain.model.values import Cores, DiskGiB, MemoryMiB
from domain.usecases import accounts, admin, money, ordering, server_commands
from domain.usecases.actors import Actor
from domain.usecases.billing import billing_run
from domain.usecases.dunning import bill_and_reassess
from domain.usecases.runtime import Runtime
from tests.backoffice import FAST, Backoffice

from .postgres import PgDatabase

SETTINGS = attrs.evolve(FAST, sandbox_task_seconds=0)
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
PASSWORD = "correct horse battery"


@attrs.frozen
class Shop:
    rt: Runtime
    clock: FakeClock
    admin: Actor

    def customer(self, balance: str) -> Actor:
        account = accounts.register(self.rt, NewAccount(f"c{balance}@example.com", PASSWORD))
        actor = Actor(account.id, Role.CUSTOMER)
        money.adjust_balance(
            self.rt,
            self.admin,
            BalanceAdjustment(
                actor.account_id, balance, "opening balance", request_key=f"open-{actor.account_id}"
            ),
        )
        return actor

    def wallet(self, actor: Actor) -> int:
        with self.rt.uow() as uow:
            return uow.ledger.balance(LedgerAccount.wallet(actor.account_id, "RUB"))

    def running_server(self, actor: Actor) -> int:
        created = ordering.create_server(self.rt, actor, OrderRequest(os_id=1, tariff_id=1))
        assert self.server(created.server.id).status is ServerStatus.RUNNING
        return created.server.id

    def server(self, server_id: int):  # type: ignore[no-untyped-def]
        with self.rt.uow() as uow:
            return uow.servers.get(server_id)


@pytest.fixture(params=["memory", "postgres"])
def shop(request: pytest.FixtureRequest) -> Iterator[Shop]:
    queue = InlineJobQueue()
    if request.param == "memory":
        store: object = InMemoryStore(job_queue=queue)
    else:
        database: PgDatabase = request.getfixturevalue("pg_database")
        database.truncate()
        store = PostgresUnitOfWorkFactory(database.pool, job_queue=queue)
    clock = FakeClock(T0)
    rt = Backoffice(SETTINGS, store=store, jobs=queue, clock=clock).rt
    account = accounts.register(rt, NewAccount("root@admin.example", PASSWORD, role=Role.ADMIN))
    yield Shop(rt, clock, Actor(account.id, Role.ADMIN))


def test_a_resize_holds_its_difference_or_is_refused(shop: Shop) -> None:
    actor = shop.customer("1.45")  # tariff 1's first hour (0.95), and 0.50
    server_id = shop.running_server(actor)
    shop.clock.advance(dt.timedelta(minutes=30))

    with pytest.raises(InsufficientFunds) as refused:
        server_commands.resize_server(
            shop.rt,
            actor,
            ResizeServer(server_id, cores=Cores(32), memory=MemoryMiB(131072), disk=DiskGiB(2000)),
        )
    assert refused.value.details["available"] == "0.50"
    grown = server_commands.resize_server(
        shop.rt, actor, ResizeServer(server_id, cores=Cores(2))
    )  # 0.50/h for half an hour

    with shop.rt.uow() as uow:
        assert uow.actions.get(grown.id).status is ActionStatus.SUCCESS  # type: ignore[union-attr]
        kinds = [tx.kind for tx in uow.ledger.all() if tx.key.startswith(f"resize:{server_id}:")]
        assert kinds == [TxKind.HOLD, TxKind.CAPTURE]
        assert uow.ledger.balance(LedgerAccount.holds(actor.account_id, "RUB")) == 0
    assert shop.wallet(actor) == 250_000


def test_an_admins_suspension_stops_the_servers_and_their_billing(shop: Shop) -> None:
    actor = shop.customer("100.00")
    server_id = shop.running_server(actor)
    shop.clock.advance(dt.timedelta(hours=2))

    done = admin.suspend_account(shop.rt, shop.admin, actor.account_id)

    assert len(done.actions) == 1
    held = shop.server(server_id)
    assert (held.status, held.suspended_by_admin) == (ServerStatus.SUSPENDED, True)
    before = shop.wallet(actor)
    shop.clock.advance(dt.timedelta(hours=10))
    assert billing_run(shop.rt).charged_micro == 0
    assert shop.wallet(actor) == before

    admin.reinstate_account(shop.rt, shop.admin, actor.account_id)

    assert shop.server(server_id).status is ServerStatus.RUNNING
    shop.clock.advance(dt.timedelta(hours=1))
    assert billing_run(shop.rt).charged_micro == 950_000


def test_usage_that_overdraws_restricts_at_the_billing_tick(shop: Shop) -> None:
    actor = shop.customer("1.05")
    shop.running_server(actor)
    shop.clock.advance(dt.timedelta(hours=3))

    bill_and_reassess(shop.rt)

    assert shop.wallet(actor) < 0
    assert money.get_balance(shop.rt, actor).standing is Standing.RESTRICTED


def test_the_operator_lets_a_locked_out_admin_back_in_from_the_command_line(
    pg_database: PgDatabase, tmp_path: Path
) -> None:
    pg_database.truncate()
    rt = Backoffice(
        SETTINGS,
        store=PostgresUnitOfWorkFactory(pg_database.pool, job_queue=InlineJobQueue()),
        clock=FakeClock(T0),
    ).rt
    root = accounts.register(rt, NewAccount("root@admin.example", PASSWORD, role=Role.ADMIN))
    with rt.uow() as uow:  # the only admin, suspended (as it could be before that was refused)
        account = uow.accounts.get(root.id)
        assert account is not None
        account.disabled = True
        uow.accounts.update(account)
        uow.commit()
    environ = {
        **os.environ,
        "HOSTPROVIDER_DATABASE_URL": pg_database.url,
        "HOSTPROVIDER_SECRET_KEY": "k" * 32,
        "HOSTPROVIDER_DB_POOL_SIZE": "2",
    }
    command = [sys.executable, "-m", "entrypoints.cli", "admin", "unsuspend", "--email"]

    done = subprocess.run(
        [*command, "root@admin.example"], env=environ, cwd=tmp_path, capture_output=True, text=True
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout == "root@admin.example may log in again; 0 server(s) starting\n"
    with rt.uow() as uow:
        lifted = uow.accounts.get(root.id)
    assert lifted is not None and not lifted.disabled
    accounts.login(rt, Credentials("root@admin.example", PASSWORD))
    unknown = subprocess.run(
        [*command, "nobody@admin.example"],
        env=environ,
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert unknown.returncode == 1 and "not found" in unknown.stderr
