"""The warm pool: refilling it, an order taking a pooled guest, and failures after the claim."""

from __future__ import annotations

from collections import Counter

import attrs
import pytest

from domain.model.errors import AlreadyExists
from domain.model.ledger import TxKind
from domain.model.server import ServerStatus
from domain.model.warm_pool import CLAIMED_STEP, PooledGuest, PoolState
from domain.usecases.actors import Actor
from domain.usecases.provisioning import provision_server
from domain.usecases.provisioning_steps import STEPS
from domain.usecases.reconcile import reconcile_guests
from domain.usecases.warm_pool import refill_warm_pool
from tests.backoffice import FAST, Backoffice

from .support import World, micro

POOL = (1, 1)  # Moscow, Ubuntu 24.04 (an LXC image)


def pooled_world(*pools: tuple[tuple[int, int], int]) -> World:
    return World(Backoffice(attrs.evolve(FAST, warm_pool=pools or ((POOL, 2),))))


@pytest.fixture
def world() -> World:
    return pooled_world()


def pool_rows(world: World) -> list[PooledGuest]:
    with world.rt.uow() as uow:
        return uow.warm_pool.all()


def hostprovider_guests(world: World) -> list[int]:
    return [g.vmid for g in world.hypervisor.guests_all() if "hostprovider" in g.tags]


def filled(world: World) -> list[PooledGuest]:
    report = refill_warm_pool(world.rt)
    assert (report.built, report.failed) == (2, 0)
    return pool_rows(world)


class TestRefill:
    def test_builds_stopped_guests_of_the_smallest_size_tagged_for_the_pool(
        self, world: World
    ) -> None:
        rows = filled(world)

        assert [(r.location_id, r.image_id, r.state) for r in rows] == [
            (1, 1, PoolState.READY),
            (1, 1, PoolState.READY),
        ]
        for row in rows:
            guest = world.hypervisor.find_guest(row.vmid)
            assert guest is not None
            assert (guest.node, guest.name, guest.status) == (row.node, row.hostname, "stopped")
            assert guest.tags == ("hostprovider", "pool")
            # The catalogue's minimum: any order's disk is at least this big.
            assert (guest.cores, guest.memory_mib, guest.disk_gib) == (1, 512, 10)
            assert row.disk_gib == 10

    def test_a_full_pool_builds_nothing(self, world: World) -> None:
        rows = filled(world)
        creates = Counter(op for op, _ in world.hypervisor.call_log)["create"]

        report = refill_warm_pool(world.rt)

        assert (report.built, report.failed) == (0, 0)
        assert pool_rows(world) == rows
        assert Counter(op for op, _ in world.hypervisor.call_log)["create"] == creates

    def test_no_pool_configured_builds_nothing(self) -> None:
        world = pooled_world((POOL, 0))
        assert refill_warm_pool(world.rt).built == 0
        assert world.hypervisor.guests_all() == [] and pool_rows(world) == []

    def test_a_failed_build_leaves_neither_guest_nor_row(self, world: World) -> None:
        world.hypervisor.fail_next("create")

        report = refill_warm_pool(world.rt)

        # The pool stops at its first failure this tick; the next tick tries again.
        assert (report.built, report.failed) == (0, 1)
        assert pool_rows(world) == [] and world.hypervisor.guests_all() == []
        assert refill_warm_pool(world.rt).built == 2

    def test_a_build_that_crashed_is_cleaned_after_the_timeout(self, world: World) -> None:
        world.hypervisor.fail_next("create", error=WorkerCrash())
        with pytest.raises(WorkerCrash):
            refill_warm_pool(world.rt)
        [stuck] = pool_rows(world)
        assert stuck.state is PoolState.BUILDING

        world.clock.advance(world.rt.policy.warm_pool_build_timeout.total_seconds())
        report = refill_warm_pool(world.rt)

        assert (report.cleaned, report.built) == (1, 2)
        assert stuck.id not in [r.id for r in pool_rows(world)]
        assert all(r.state is PoolState.READY for r in pool_rows(world))

    def test_a_crashed_build_is_not_rebuilt_before_its_timeout(self, world: World) -> None:
        world.hypervisor.fail_next("create", error=WorkerCrash())
        with pytest.raises(WorkerCrash):
            refill_warm_pool(world.rt)

        report = refill_warm_pool(world.rt)

        # The building row still counts, so only the second guest is built.
        assert (report.cleaned, report.built) == (0, 1)
        assert len(pool_rows(world)) == 2

    def test_a_vmid_taken_meanwhile_moves_the_build_to_another(self, world: World) -> None:
        world.hypervisor.fail_next("create", error=AlreadyExists("guest 100 already exists"))

        assert refill_warm_pool(world.rt).built == 2

        rows = pool_rows(world)
        assert [r.vmid for r in rows] == [101, 100]  # the first build moved off vmid 100
        for row in rows:
            assert world.hypervisor.find_guest(row.vmid).name == row.hostname  # type: ignore[union-attr]


class WorkerCrash(RuntimeError):
    """Not a domain error: the process dies here."""


class TestOrderFromThePool:
    def test_the_server_is_the_pooled_guest_reconfigured_and_running(
        self, world: World, customer: Actor
    ) -> None:
        rows = filled(world)
        oldest = rows[0]

        created = world.order(customer, name="web-1")

        server = world.server(created.server.id)
        assert server.status is ServerStatus.RUNNING
        assert server.saga_steps == (CLAIMED_STEP, *STEPS)
        assert (server.placement.node, server.placement.vmid) == (oldest.node, oldest.vmid)
        guest = world.hypervisor.find_guest(oldest.vmid)
        assert guest is not None
        assert (guest.name, guest.status) == ("web-1", "running")
        assert guest.tags == ("hostprovider", f"server-{server.id}")
        assert (guest.cores, guest.memory_mib, guest.disk_gib) == (1, 1024, 20)
        assert world.hypervisor.password_of(oldest.vmid) == created.root_password
        assert ("reconfigure", oldest.vmid) in world.hypervisor.call_log
        assert Counter(op for op, _ in world.hypervisor.call_log)["create"] == 2  # the pool's
        assert [r.id for r in pool_rows(world)] == [rows[1].id]
        assert world.templates(customer) == ["welcome", "server_ready"]
        assert len(world.transactions(TxKind.CAPTURE)) == 1

    def test_the_refill_tick_restores_the_pool(self, world: World, customer: Actor) -> None:
        rows = filled(world)
        world.order(customer)

        assert refill_warm_pool(world.rt).built == 1

        after = pool_rows(world)
        assert len(after) == 2 and all(r.state is PoolState.READY for r in after)
        assert rows[0].vmid not in [r.vmid for r in after]

    def test_an_order_elsewhere_is_built_as_usual(self, world: World, customer: Actor) -> None:
        rows = filled(world)

        server = world.running_server(customer, os_id=2)  # Debian: no pool

        assert server.placement.vmid not in [r.vmid for r in rows]
        assert CLAIMED_STEP not in server.saga_steps
        assert pool_rows(world) == rows

    def test_a_pooled_guest_whose_node_cannot_take_the_order_stays_in_the_pool(
        self, world: World, customer: Actor
    ) -> None:
        rows = filled(world)
        world.hypervisor.set_node_online(rows[0].node, False)

        server = world.running_server(customer)

        assert CLAIMED_STEP not in server.saga_steps
        assert server.placement.node != rows[0].node
        assert pool_rows(world) == rows

    def test_an_empty_pool_changes_nothing_for_the_order(
        self, world: World, customer: Actor
    ) -> None:
        server = world.running_server(customer)
        assert server.saga_steps == STEPS
        assert world.hypervisor.find_guest(server.placement.vmid).tags == (  # type: ignore[arg-type,union-attr]
            "hostprovider",
            f"server-{server.id}",
        )

    def test_a_guest_still_building_is_not_handed_out(self, world: World, customer: Actor) -> None:
        world.hypervisor.fail_next("create", error=WorkerCrash())
        with pytest.raises(WorkerCrash):
            refill_warm_pool(world.rt)

        server = world.running_server(customer)

        assert CLAIMED_STEP not in server.saga_steps
        assert [r.state for r in pool_rows(world)] == [PoolState.BUILDING]


FAILURES_AFTER_CLAIM = {
    "vlan refused": lambda w: w.fabric.fail_next("ensure_vlan"),
    "reconfigure fails": lambda w: w.hypervisor.fail_next("reconfigure"),
    "mapping refused": lambda w: w.fabric.fail_next("ensure_mapping"),
    "rules refused": lambda w: w.fabric.fail_next("ensure_rules"),
    "guest does not start": lambda w: w.hypervisor.fail_next("start"),
}


class TestFailureAfterTheClaim:
    @pytest.mark.parametrize("failure", FAILURES_AFTER_CLAIM)
    def test_the_claimed_guest_is_destroyed_and_nothing_is_left_over(
        self, world: World, customer: Actor, failure: str
    ) -> None:
        rows = filled(world)
        FAILURES_AFTER_CLAIM[failure](world)

        created = world.order(customer)

        server = world.server(created.server.id)
        assert server.status is ServerStatus.FAILED
        assert server.placement.vmid == rows[0].vmid
        assert world.hypervisor.find_guest(rows[0].vmid) is None
        # The other pooled guest is still in the pool, and nothing else of ours exists.
        assert [r.id for r in pool_rows(world)] == [rows[1].id]
        assert hostprovider_guests(world) == [rows[1].vmid]
        assert world.wallet(customer) == micro("1000.00") and world.held(customer) == 0
        world.clock.advance(world.rt.policy.reconcile_grace.total_seconds() + 1)
        assert reconcile_guests(world.rt).repaired == 0

    def test_a_crash_after_the_claim_resumes_with_the_same_guest(
        self, world: World, customer: Actor
    ) -> None:
        rows = filled(world)
        world.hold_jobs()
        created = world.order(customer)
        world.hypervisor.fail_next("reconfigure", error=WorkerCrash())
        world.run_jobs()
        [crashed] = world.jobs.failed
        assert world.server(created.server.id).placement.vmid == rows[0].vmid

        provision_server(world.rt, **crashed.args)

        server = world.server(created.server.id)
        assert server.status is ServerStatus.RUNNING
        assert server.placement.vmid == rows[0].vmid
        assert [r.id for r in pool_rows(world)] == [rows[1].id]  # not claimed twice
        assert hostprovider_guests(world) == sorted(r.vmid for r in rows)

    def test_a_crash_between_the_claim_and_the_placed_step_claims_nothing_more(
        self, world: World, customer: Actor
    ) -> None:
        rows = filled(world)
        world.hold_jobs()
        created = world.order(customer)
        [job] = world.jobs.pending
        world.jobs.clear()
        world.hypervisor.fail_next("reconfigure", error=WorkerCrash())
        with pytest.raises(WorkerCrash):
            provision_server(world.rt, **job.args)
        with world.rt.uow() as uow:  # as if the worker died right after the claim committed
            stored = uow.servers.get(created.server.id)
            assert stored is not None
            stored.saga_steps = (CLAIMED_STEP,)
            uow.servers.update(stored)
            uow.commit()

        provision_server(world.rt, **job.args)

        server = world.server(created.server.id)
        assert server.status is ServerStatus.RUNNING
        assert server.placement.vmid == rows[0].vmid
        assert [r.id for r in pool_rows(world)] == [rows[1].id]

    def test_a_claimed_guest_that_vanished_is_replaced_by_a_fresh_one(
        self, world: World, customer: Actor
    ) -> None:
        rows = filled(world)
        world.hold_jobs()
        created = world.order(customer)
        world.hypervisor.fail_next("reconfigure", error=WorkerCrash())
        world.run_jobs()
        [crashed] = world.jobs.failed
        world.hypervisor.remove_guest(rows[0].vmid)

        provision_server(world.rt, **crashed.args)

        server = world.server(created.server.id)
        assert server.status is ServerStatus.RUNNING
        guest = world.hypervisor.find_guest(server.placement.vmid)  # type: ignore[arg-type]
        assert guest is not None and guest.tags == ("hostprovider", f"server-{server.id}")
