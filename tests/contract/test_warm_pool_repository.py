"""WarmPoolRepository, and ServerRepository.placed_in that the reconciler reads with it."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import attrs
import pytest

from adapters.memory import FakeClock, InlineJobQueue
from adapters.postgres.uow import PostgresUnitOfWorkFactory
from domain.model.accounts import Role
from domain.model.commands import BalanceAdjustment, NewAccount, OrderRequest
from domain.model.errors import AlreadyExists, NotFound
from domain.model.server import Placement, Server, ServerStatus
from domain.model.warm_pool import CLAIMED_STEP, PooledGuest, PoolState
from domain.usecases import accounts, ordering
from domain.usecases.actors import Actor
from domain.usecases.money import adjust_balance
from domain.usecases.provisioning import provision_server
from domain.usecases.warm_pool import claim_for, refill_warm_pool
from tests.backoffice import FAST, Backoffice

from . import builders as b
from .postgres import PgDatabase

READY, BUILDING = PoolState.READY, PoolState.BUILDING


def pooled(id: int, **kw: Any) -> PooledGuest:
    fields: dict[str, Any] = dict(
        id=id,
        location_id=1,
        image_id=1,
        node="pve1",
        vmid=1000 + id,
        disk_gib=10,
        state=READY,
        created_at=b.T0 + dt.timedelta(seconds=id),
    )
    fields.update(kw)
    return PooledGuest(**fields)


def stock(uow_factory, *guests: PooledGuest) -> None:
    with uow_factory() as uow:
        for guest in guests:
            uow.warm_pool.add(guest)
        uow.commit()


def test_add_update_remove_round_trip(uow_factory):
    stock(uow_factory, pooled(1, state=BUILDING), pooled(2, location_id=2))
    with uow_factory() as uow:
        assert uow.warm_pool.all() == [pooled(1, state=BUILDING), pooled(2, location_id=2)]
        uow.warm_pool.update(pooled(1))
        uow.warm_pool.remove(2)
        uow.warm_pool.remove(2)  # nothing left to remove: no error
        uow.commit()
    with uow_factory() as uow:
        assert uow.warm_pool.all() == [pooled(1)]
        assert uow.warm_pool.by_vmid(1001) == pooled(1)
        assert uow.warm_pool.by_vmid(1002) is None
        assert uow.warm_pool.in_location(1) == [pooled(1)]
        assert uow.warm_pool.in_location(2) == []


def test_ids_vmids_and_unknown_updates(uow_factory):
    stock(uow_factory, pooled(1))
    with uow_factory() as uow:
        assert uow.warm_pool.next_id() != uow.warm_pool.next_id()
    with uow_factory() as uow, pytest.raises(AlreadyExists):
        uow.warm_pool.add(pooled(2, vmid=1001))
    with uow_factory() as uow, pytest.raises(NotFound):
        uow.warm_pool.update(pooled(3))


def test_a_claim_takes_the_oldest_ready_guest_that_fits_and_removes_it(uow_factory):
    stock(
        uow_factory,
        pooled(1, state=BUILDING),
        pooled(2, image_id=2),
        pooled(3, location_id=2),
        pooled(4, disk_gib=40),
        pooled(5),
        pooled(6),
    )
    with uow_factory() as uow:
        assert uow.warm_pool.claim(1, 1, max_disk_gib=20) == pooled(5)
        assert uow.warm_pool.claim(1, 1, max_disk_gib=20) == pooled(6)
        assert uow.warm_pool.claim(1, 1, max_disk_gib=20) is None
        assert uow.warm_pool.claim(1, 1, max_disk_gib=40) == pooled(4, disk_gib=40)
        uow.commit()
    with uow_factory() as uow:
        assert [g.id for g in uow.warm_pool.all()] == [1, 2, 3]


def test_a_claim_rolled_back_puts_the_guest_back(uow_factory):
    stock(uow_factory, pooled(1))
    with uow_factory() as uow:
        assert uow.warm_pool.claim(1, 1, max_disk_gib=10) == pooled(1)
    with uow_factory() as uow:
        assert uow.warm_pool.all() == [pooled(1)]


def test_racing_claims_never_hand_out_one_guest_twice(uow_factory):
    stock(uow_factory, *(pooled(i) for i in range(1, 6)))
    start = threading.Barrier(12)
    taken: list[int] = []
    lock = threading.Lock()

    def claim() -> None:
        start.wait()
        with uow_factory() as uow:
            guest = uow.warm_pool.claim(1, 1, max_disk_gib=10)
            uow.commit()
        if guest is not None:
            with lock:
                taken.append(guest.id)

    threads = [threading.Thread(target=claim) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(taken) == [1, 2, 3, 4, 5]
    with uow_factory() as uow:
        assert uow.warm_pool.all() == []


def test_postgres_a_claim_passes_over_a_guest_another_claim_holds(pg: PgDatabase):
    """SKIP LOCKED: the second claim takes the next guest at once instead of waiting for the first
    transaction and then finding its guest gone."""
    factory = PostgresUnitOfWorkFactory(pg.pool, job_queue=InlineJobQueue(auto_run=False))
    stock(factory, pooled(1), pooled(2))
    second: list[PooledGuest | None] = []

    def claim_meanwhile() -> None:
        with factory() as uow:
            second.append(uow.warm_pool.claim(1, 1, max_disk_gib=10))
            uow.commit()

    with factory() as first:
        assert first.warm_pool.claim(1, 1, max_disk_gib=10) == pooled(1)
        other = threading.Thread(target=claim_meanwhile)
        other.start()
        other.join(timeout=30)
        blocked = other.is_alive()
        first.commit()
    other.join()
    assert not blocked, "the second claim waited for the first one's row lock"
    assert second == [pooled(2)]


def test_placed_in_lists_the_servers_that_claim_a_guest(uow_factory):
    S = ServerStatus
    here = Placement(node="pve1", vmid=101)
    with uow_factory() as uow:
        uow.servers.add(b.server(1, placement=here))
        uow.servers.add(b.server(2, status=S.PROVISIONING, placement=Placement("pve1", 102)))
        uow.servers.add(b.server(3, status=S.DELETING, placement=Placement("pve1", 103)))
        uow.servers.add(b.server(4, status=S.FAILED, placement=Placement("pve1", 104)))
        uow.servers.add(b.server(5, status=S.DELETED, placement=Placement("pve1", 105)))
        uow.servers.add(b.server(6, status=S.PENDING))  # no vmid yet
        uow.servers.add(b.server(7, location_id=2, placement=Placement("pve9", 107)))
        uow.commit()
    with uow_factory() as uow:
        assert [s.id for s in uow.servers.placed_in(1)] == [1, 2, 3]
        assert [s.id for s in uow.servers.placed_in(2)] == [7]
        assert uow.servers.placed_in(3) == []


def test_postgres_racing_orders_take_a_pooled_guest_exactly_once(pg: PgDatabase):
    """The saga's claim on PostgreSQL: four orders claim at once, one pooled guest; then every
    order is provisioned (one after the other: the claim is what races here)."""
    jobs = InlineJobQueue(auto_run=False)
    store = PostgresUnitOfWorkFactory(pg.pool, job_queue=jobs)
    settings = attrs.evolve(FAST, warm_pool=(((1, 1), 1),))
    rt = Backoffice(settings, store=store, jobs=jobs, clock=FakeClock(b.T0)).rt
    assert refill_warm_pool(rt).built == 1
    with store() as uow:
        [pooled_guest] = uow.warm_pool.all()
    admin = accounts.register(
        rt, NewAccount("root@admin.example", "racing orders 12", role=Role.ADMIN)
    )
    buyer = accounts.register(rt, NewAccount("buyer@example.com", "racing orders 12"))
    adjust_balance(
        rt,
        Actor(admin.id, Role.ADMIN),
        BalanceAdjustment(buyer.id, "100.00", "credit for the test", request_key="credit"),
    )
    customer = Actor(buyer.id, Role.CUSTOMER)
    ordered = [
        ordering.create_server(rt, customer, OrderRequest(os_id=1, tariff_id=1)).server
        for _ in range(4)
    ]
    start = threading.Barrier(len(ordered))
    claims: dict[int, int | None] = {}

    def claim(server: Server) -> None:
        start.wait()
        taken = claim_for(rt, server)
        claims[server.id] = taken.placement.vmid if taken else None

    workers = [threading.Thread(target=claim, args=(server,)) for server in ordered]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert sorted(claims.values(), key=str) == [pooled_guest.vmid, None, None, None]

    for job in list(jobs.pending):
        provision_server(rt, **job.args)
    with store() as uow:
        servers = [uow.servers.get(s.id) for s in ordered]
        assert uow.warm_pool.all() == []
    assert [s.status for s in servers] == [ServerStatus.RUNNING] * 4  # type: ignore[union-attr]
    claimed = [s.id for s in servers if CLAIMED_STEP in s.saga_steps]  # type: ignore[union-attr]
    assert claimed == [i for i, vmid in claims.items() if vmid is not None]
    assert len({s.placement.vmid for s in servers}) == 4  # type: ignore[union-attr]
