"""The back office wired with fakes, and the few helpers every use case test needs.

`World` is one back office (tests/backoffice.py) with shortcuts to the use cases. `World.snapshot()`
captures everything a use case could write (every table of the store, the guests on the fake
hypervisor, the firewall of every location, mails, events and jobs), so that `refused()` can check
that a refused command left nothing half-written.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from domain.model.accounts import Role
from domain.model.action import Action
from domain.model.commands import BalanceAdjustment, NewAccount, OrderRequest
from domain.model.errors import DomainError
from domain.model.ledger import LedgerAccount, Transaction, TxKind
from domain.model.money import Money
from domain.model.notices import Notice
from domain.model.server import Server
from domain.usecases import accounts, money, ordering
from domain.usecases.actors import Actor
from entrypoints.config import Settings
from tests.backoffice import FAST, Backoffice, OnBackoffice
from tests.backoffice import START as START

SETTINGS = FAST  # hypervisor tasks take TASK_SECONDS
PASSWORD = "correct horse battery"
RUB = "RUB"
LOCATIONS = (1, 2, 3)
TASK_SECONDS = 5

# Tariff 1 ("Старт": 1 core, 1 GiB, 20 GiB) in location 1: 0.50 + 0.25 + 20 x 0.01 an hour.
START_HOURLY = 950_000
START_MONTHLY = 300_000_000


def rub(text: str) -> Money:
    return Money.parse(text, RUB)


def micro(text: str) -> int:
    return rub(text).micro


_emails = itertools.count(1)


class World(OnBackoffice):
    def __init__(self, office: Backoffice | None = None) -> None:
        self.office = office if office is not None else Backoffice()
        self.admin = self.register(role=Role.ADMIN, email="root@admin.example")

    # --- people and money ------------------------------------------------------------------------
    def register(self, *, role: Role = Role.CUSTOMER, email: str | None = None) -> Actor:
        address = email or f"customer{next(_emails)}@example.com"
        account = accounts.register(self.rt, NewAccount(address, PASSWORD, role=role))
        return Actor(account.id, role)

    def customer(self, balance: str | None = "1000.00") -> Actor:
        actor = self.register()
        if balance is not None:
            self.credit(actor, balance)
        return actor

    def credit(self, actor: Actor, amount: str, *, key: str | None = None) -> Transaction:
        return money.adjust_balance(
            self.rt,
            self.admin,
            BalanceAdjustment(
                actor.account_id,
                amount.removeprefix("-"),
                "credit for the test",
                request_key=key or f"test-{next(_emails)}",
                debit=amount.startswith("-"),  # "-5.00": a debit
            ),
        )

    def wallet(self, actor: Actor) -> int:
        with self.rt.uow() as uow:
            return uow.ledger.balance(LedgerAccount.wallet(actor.account_id, RUB))

    def held(self, actor: Actor) -> int:
        with self.rt.uow() as uow:
            return uow.ledger.balance(LedgerAccount.holds(actor.account_id, RUB))

    def transactions(
        self, kind: TxKind | None = None, *, server_id: int | None = None
    ) -> list[Transaction]:
        with self.rt.uow() as uow:
            txs = list(uow.ledger.all())
        return [
            tx
            for tx in txs
            if (kind is None or tx.kind is kind)
            and (server_id is None or tx.server_id == server_id)
        ]

    # --- servers ---------------------------------------------------------------------------------
    def order(self, actor: Actor, **request: Any) -> ordering.CreatedServer:
        request.setdefault("os_id", 1)
        if not {"tariff_id", "cores", "memory", "disk"} & request.keys():
            request["tariff_id"] = 1
        return ordering.create_server(self.rt, actor, OrderRequest(**request))

    def running_server(self, actor: Actor, **request: Any) -> Server:
        created = self.order(actor, **request)
        server = self.server(created.server.id)
        assert server.status.value == "running", (
            server.status,
            server.failure_reason,
            self.jobs.failed,
        )
        return server

    def server(self, server_id: int) -> Server:
        with self.rt.uow() as uow:
            found = uow.servers.get(server_id)
        assert found is not None
        return found

    def action(self, action_id: int) -> Action:
        with self.rt.uow() as uow:
            found = uow.actions.get(action_id)
        assert found is not None
        return found

    def notices(self, actor: Actor) -> list[Notice]:
        with self.rt.uow() as uow:
            return uow.outbox.for_account(actor.account_id)

    def templates(self, actor: Actor) -> list[str]:
        return [n.template for n in self.notices(actor)]

    def hold_jobs(self) -> None:
        """Deferred jobs wait until `run_jobs()`, like a worker that has not polled yet."""
        self.jobs.auto_run = False

    def run_jobs(self) -> int:
        return self.jobs.run_pending()

    # --- everything a use case may write ---------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        # A shallow copy of each table is the whole of it: tables hold values never changed in
        # place (the store's rollback rests on the same promise).
        with self.store.lock:
            tables = {name: table.copy() for name, table in self.store.tables.items()}
        guests = []
        for info in self.hypervisor.guests_all():
            try:
                snaps = sorted(s.name for s in self.hypervisor.snapshots(info.node, info.vmid))
            except DomainError:
                snaps = None  # the node is offline: its guests' snapshots cannot be listed
            guests.append((info, snaps, self.hypervisor.password_of(info.vmid)))
        return {
            "tables": tables,
            "guests": guests,
            "hypervisor_tasks": sorted(t.upid for t in self.hypervisor.running_tasks()),
            "fabric": {
                loc: (self.fabric.state(loc), self.fabric.live_state(loc)) for loc in LOCATIONS
            },
            "mails": list(self.mailer.sent),
            "events": list(self.events.events),
            "jobs": {
                "pending": [_job(j) for j in self.jobs.pending],
                "done": [_job(j) for j in self.jobs.done],
                "failed": [_job(f.job) for f in self.jobs.failed],
            },
        }


def _job(job: Any) -> tuple[str, tuple[tuple[str, Any], ...], str | None]:
    return (job.task, tuple(sorted(job.args.items())), job.lock)


@contextlib.contextmanager
def unchanged(world: World) -> Iterator[None]:
    before = world.snapshot()
    yield
    after = world.snapshot()
    for part in before:
        assert after[part] == before[part], f"{part} changed"


def refused(
    world: World,
    error: type[DomainError],
    call: Callable[..., object],
    *args: Any,
    error_code: str | None = None,
    field: str | None = None,
    **kwargs: Any,
) -> DomainError:
    """Call a use case that must refuse: exactly `error` is raised and nothing at all changed.

    `error_code` and `field` check the error's machine code and the input field it names."""
    with unchanged(world), pytest.raises(DomainError) as raised:
        call(*args, **kwargs)
    assert type(raised.value) is error, f"raised {type(raised.value).__name__}: {raised.value}"
    if error_code is not None:
        assert raised.value.code == error_code
    if field is not None:
        assert getattr(raised.value, "field", raised.value.details.get("field")) == field
    return raised.value


def make_world(settings: Settings = SETTINGS) -> World:
    return World(Backoffice(settings))
