"""The guest reconciler: our records against the guests that really exist."""

from __future__ import annotations

import datetime as dt

import pytest

from domain.model.action import ActionStatus
from domain.model.ledger import TxKind
from domain.model.server import Server, ServerStatus
from domain.model.server_commands import OnServer
from domain.usecases import server_commands
from domain.usecases.actors import Actor
from domain.usecases.billing import billing_run
from domain.usecases.reconcile import GuestDriftReport, reconcile_guests
from domain.usecases.warm_pool import refill_warm_pool
from ports.audit import AuditRecord

from .support import World, unchanged
from .test_warm_pool import pooled_world


def settle(world: World) -> None:
    """Let the grace period pass, so the reconciler judges what happened before now."""
    world.clock.advance(world.rt.policy.reconcile_grace.total_seconds() + 1)


def reconcile(world: World) -> GuestDriftReport:
    report = reconcile_guests(world.rt)
    assert report.errors == []
    return report


def audits(world: World, action: str) -> list[AuditRecord]:
    with world.rt.uow() as uow:
        return [a for a in uow.audit.recent(1000) if a.action == action]


def vmid_of(server: Server) -> int:
    assert server.placement.vmid is not None
    return server.placement.vmid


@pytest.fixture
def server(world: World, customer: Actor) -> Server:
    return world.running_server(customer, name="web-1")


class TestNothingToDo:
    def test_servers_pool_and_foreign_guests_in_line_change_nothing(self) -> None:
        world = pooled_world()
        customer = world.customer()
        refill_warm_pool(world.rt)
        running = world.running_server(customer)
        stopped = world.running_server(customer)
        server_commands.stop_server(world.rt, customer, OnServer(stopped.id))
        world.hypervisor.seed_guest("pve-msk-1", 900, name="admin-box")  # not ours: no tags
        world.hypervisor.seed_guest("pve-msk-2", 901, name="ops", tags=("backup",))
        settle(world)

        with unchanged(world):
            report = reconcile(world)

        assert report == GuestDriftReport()
        assert world.server(running.id).status is ServerStatus.RUNNING
        assert world.server(stopped.id).status is ServerStatus.STOPPED

    def test_a_foreign_guest_is_never_touched_even_on_a_vmid_we_forgot(
        self, world: World, server: Server
    ) -> None:
        world.hypervisor.seed_guest("pve-msk-2", 950, status="running", tags=("customer-x",))
        settle(world)

        reconcile(world)

        foreign = world.hypervisor.find_guest(950)
        assert foreign is not None and foreign.status == "running"


class TestGuestGone:
    def test_the_server_is_removed_its_meter_stops_and_the_customer_is_told(
        self, world: World, customer: Actor, server: Server
    ) -> None:
        world.hypervisor.remove_guest(vmid_of(server))
        settle(world)

        report = reconcile(world)

        assert report.lost == [server.id]
        lost = world.server(server.id)
        assert lost.status is ServerStatus.DELETED
        assert "no longer exists" in (lost.failure_reason or "")
        assert world.templates(customer)[-1] == "server_lost"
        assert [a.target for a in audits(world, "server.guest_lost")] == [f"server:{server.id}"]
        state = world.fabric.state(1)
        assert state.mappings == () and state.rules == {} and state.vlans == {}
        with world.rt.uow() as uow:
            assert uow.network.ip_of(server.id) is None
        world.clock.advance(dt.timedelta(hours=3).total_seconds())
        billing_run(world.rt)
        assert world.transactions(TxKind.USAGE, server_id=server.id) == []

    def test_a_second_run_repairs_nothing_more(self, world: World, server: Server) -> None:
        world.hypervisor.remove_guest(vmid_of(server))
        settle(world)
        reconcile(world)

        with unchanged(world):
            assert reconcile(world).repaired == 0

    def test_a_server_changed_within_the_grace_period_is_left_alone(
        self, world: World, server: Server
    ) -> None:
        world.hypervisor.remove_guest(vmid_of(server))

        with unchanged(world):
            reconcile(world)

    def test_a_guest_on_an_offline_node_is_not_judged(self, world: World, server: Server) -> None:
        assert server.placement.node is not None
        # An offline node lists no guests, and none of its guests can be asked about.
        world.hypervisor.remove_guest(vmid_of(server))
        world.hypervisor.set_node_online(server.placement.node, False)
        settle(world)

        with unchanged(world):
            report = reconcile(world)

        assert report.unreachable == [server.id]

    def test_a_suspended_server_is_lost_too(
        self, world: World, customer: Actor, server: Server
    ) -> None:
        with world.rt.uow() as uow:
            stored = uow.servers.get_for_update(server.id)
            assert stored is not None
            stored.suspend(world.clock.now())
            uow.servers.update(stored)
            uow.commit()
        world.hypervisor.remove_guest(vmid_of(server))
        settle(world)

        assert reconcile(world).lost == [server.id]
        assert world.server(server.id).status is ServerStatus.DELETED


class TestPowerDrift:
    def test_a_guest_stopped_by_hand_stops_the_server(self, world: World, server: Server) -> None:
        node = server.placement.node
        assert node is not None
        world.hypervisor.wait(world.hypervisor.stop(node, vmid_of(server)))
        settle(world)

        report = reconcile(world)

        assert report.power_followed == [server.id]
        assert world.server(server.id).status is ServerStatus.STOPPED
        [entry] = audits(world, "server.power_drift")
        assert dict(entry.details) == {"recorded": "running", "observed": "stopped"}
        # The guest is left as it is: the records follow the guest, never the reverse.
        assert world.hypervisor.find_guest(vmid_of(server)).status == "stopped"  # type: ignore[union-attr]

    def test_a_guest_started_by_hand_starts_the_server(
        self, world: World, customer: Actor, server: Server
    ) -> None:
        server_commands.stop_server(world.rt, customer, OnServer(server.id))
        node = server.placement.node
        assert node is not None
        world.hypervisor.wait(world.hypervisor.start(node, vmid_of(server)))
        settle(world)

        assert reconcile(world).power_followed == [server.id]
        assert world.server(server.id).status is ServerStatus.RUNNING

    def test_a_server_with_a_running_action_is_left_to_the_action(
        self, world: World, customer: Actor, server: Server
    ) -> None:
        world.hold_jobs()
        server_commands.stop_server(
            world.rt, customer, OnServer(server.id)
        )  # the job has not run yet
        node = server.placement.node
        assert node is not None
        world.hypervisor.wait(world.hypervisor.stop(node, vmid_of(server)))
        settle(world)

        reconcile(world)

        assert world.server(server.id).status is ServerStatus.RUNNING
        assert audits(world, "server.power_drift") == []


class TestOrphans:
    def failed_with_guest_left(self, world: World, customer: Actor) -> Server:
        """A saga whose start failed and whose compensation could not destroy the guest."""
        world.hypervisor.fail_next("start")
        world.hypervisor.fail_next("destroy")
        created = world.order(customer)
        failed = world.server(created.server.id)
        assert failed.status is ServerStatus.FAILED
        assert world.hypervisor.find_guest(vmid_of(failed)) is not None
        return failed

    def test_a_guest_left_by_a_failed_saga_is_destroyed_after_the_grace_period(
        self, world: World, customer: Actor
    ) -> None:
        failed = self.failed_with_guest_left(world, customer)
        reconcile(world)
        assert world.hypervisor.find_guest(vmid_of(failed)) is not None  # too recent

        settle(world)
        report = reconcile(world)

        assert report.orphans_destroyed == [vmid_of(failed)]
        assert world.hypervisor.find_guest(vmid_of(failed)) is None
        assert [a.target for a in audits(world, "guest.orphan_destroyed")] == [
            f"guest:{vmid_of(failed)}"
        ]
        assert reconcile(world).repaired == 0

    def test_the_guest_of_a_saga_in_flight_is_never_touched(
        self, world: World, customer: Actor
    ) -> None:
        world.hold_jobs()
        created = world.order(customer)
        world.hypervisor.fail_next("start", error=RuntimeError("worker killed"))
        world.run_jobs()
        provisioning = world.server(created.server.id)
        assert provisioning.status is ServerStatus.PROVISIONING
        settle(world)

        with unchanged(world):
            reconcile(world)

    def test_a_guest_tagged_ours_that_no_record_knows_is_left_for_ops(
        self, world: World, server: Server
    ) -> None:
        world.hypervisor.seed_guest("pve-msk-2", 700, tags=("hostprovider", "server-999"))
        settle(world)

        with unchanged(world):
            report = reconcile(world)

        assert report.unaccounted == [700]

    def test_a_pooled_guest_that_vanished_leaves_the_pool(self) -> None:
        world = pooled_world()
        refill_warm_pool(world.rt)
        with world.rt.uow() as uow:
            gone, kept = uow.warm_pool.all()
        world.hypervisor.remove_guest(gone.vmid)

        report = reconcile(world)

        assert report.pool_rows_dropped == [gone.id]
        with world.rt.uow() as uow:
            assert uow.warm_pool.all() == [kept]
        assert refill_warm_pool(world.rt).built == 1


class TestStuckDeletion:
    def test_a_deleting_server_whose_guest_is_gone_is_finished(
        self, world: World, customer: Actor, server: Server
    ) -> None:
        world.hold_jobs()
        action = server_commands.delete_server(world.rt, customer, OnServer(server.id))
        world.hypervisor.remove_guest(vmid_of(server))  # the job destroyed it, then died
        world.jobs.clear()
        settle(world)

        report = reconcile(world)

        assert report.deletions_finished == [server.id]
        deleted = world.server(server.id)
        assert (deleted.status, deleted.active_action_id) == (ServerStatus.DELETED, None)
        assert world.action(action.id).status is ActionStatus.SUCCESS
        assert world.templates(customer)[-1] == "server_deleted"
        with world.rt.uow() as uow:
            assert uow.network.ip_of(server.id) is None
        assert world.fabric.state(1).rules == {}
        with unchanged(world):
            reconcile(world)

    def test_a_deleting_server_whose_guest_still_exists_is_left_to_its_job(
        self, world: World, customer: Actor, server: Server
    ) -> None:
        world.hold_jobs()
        server_commands.delete_server(world.rt, customer, OnServer(server.id))
        settle(world)

        with unchanged(world):
            reconcile(world)
