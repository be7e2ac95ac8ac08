"""Provisioning (saga steps 3 and 4): the guest, its network, the money; compensation; resuming."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import attrs
import pytest

from domain.model.action import ActionStatus
from domain.model.catalogue import GuestKind
from domain.model.commands import PromoDraft
from domain.model.ledger import TxKind
from domain.model.network import DEFAULT_INBOUND
from domain.model.server import ServerStatus
from domain.usecases import promos
from domain.usecases.actors import Actor
from domain.usecases.provisioning import provision_server
from domain.usecases.provisioning_steps import STEPS
from ports.network import StaticMapping

from .support import START_HOURLY, TASK_SECONDS, World, micro, unchanged


def ours(world: World, server_id: int) -> list[int]:
    """The vmids of guests tagged for this server."""
    return [g.vmid for g in world.hypervisor.guests_all() if f"server-{server_id}" in g.tags]


class TestProvisioned:
    def test_the_guest_its_network_and_the_money(self, world: World, customer: Actor) -> None:
        ordered_at = world.clock.now()

        created = world.order(customer, name="web-1")

        server = world.server(created.server.id)
        assert server.status is ServerStatus.RUNNING
        assert server.saga_steps == STEPS
        assert server.active_action_id is None
        p = server.placement
        assert (p.node, p.vmid, p.ip_address, p.mac_address, p.vlan) == (
            "pve-msk-1",
            100,
            "10.11.0.2",
            "02:48:50:00:00:01",
            100,
        )
        guest = world.hypervisor.find_guest(100)
        assert guest is not None
        assert (guest.node, guest.kind, guest.name, guest.status) == (
            "pve-msk-1",
            GuestKind.LXC,
            "web-1",
            "running",
        )
        assert (guest.cores, guest.memory_mib, guest.disk_gib) == (1, 1024, 20)
        assert guest.tags == ("hostprovider", f"server-{server.id}")
        assert world.hypervisor.password_of(100) == created.root_password

        fabric = world.fabric.state(1)
        assert fabric.vlans == {100: customer.account_id}
        assert fabric.mappings == (StaticMapping("02:48:50:00:00:01", "10.11.0.2", "web-1", 100),)
        assert fabric.rules == {server.id: DEFAULT_INBOUND}
        assert not fabric.pending_changes
        assert world.fabric.live_state(1) == fabric
        with world.rt.uow() as uow:
            assert uow.network.ip_of(server.id) == ("10.11.0.0/24", "10.11.0.2")
            assert uow.network.vlan_of(customer.account_id, 1) == 100

        [held] = world.transactions(TxKind.HOLD)
        [captured] = world.transactions(TxKind.CAPTURE)
        assert held.amount.micro == captured.amount.micro == START_HOURLY
        assert captured.hold_key == held.key
        assert world.transactions(TxKind.RELEASE) == []
        assert world.wallet(customer) == micro("1000.00") - START_HOURLY
        assert world.held(customer) == 0
        # The captured first charge paid for the first billing period.
        assert server.meter.billed_until == ordered_at + dt.timedelta(hours=1)
        assert (server.meter.month_seconds, server.meter.month_list_micro) == (3600, START_HOURLY)

        action = world.action(created.action.id)
        assert action.status is ActionStatus.SUCCESS
        assert action.progress == 100
        assert action.finished_at == ordered_at + dt.timedelta(seconds=2 * TASK_SECONDS)
        assert world.templates(customer) == ["welcome", "server_ready"]
        assert "10.11.0.2" in world.notices(customer)[-1].body
        assert world.jobs.failed == []

    def test_a_qemu_guest(self, world: World, customer: Actor) -> None:
        server = world.running_server(
            customer, os_id=5, location_id=3, cores=2, memory=4096, disk=50
        )
        guest = world.hypervisor.find_guest(server.placement.vmid)  # type: ignore[arg-type]
        assert guest is not None and guest.kind is GuestKind.QEMU
        assert guest.node.startswith("pve-ams-")
        assert server.placement.ip_address == "10.13.0.2"

    def test_servers_of_one_customer_share_a_vlan_and_customers_do_not(
        self, world: World, customer: Actor, stranger: Actor
    ) -> None:
        first = world.running_server(customer)
        second = world.running_server(customer)
        theirs = world.running_server(stranger)
        assert first.placement.vlan == second.placement.vlan == 100
        assert theirs.placement.vlan == 101
        addresses = {s.placement.ip_address for s in (first, second, theirs)}
        macs = {s.placement.mac_address for s in (first, second, theirs)}
        vmids = {s.placement.vmid for s in (first, second, theirs)}
        assert len(addresses) == len(macs) == len(vmids) == 3
        assert world.fabric.state(1).vlans == {100: customer.account_id, 101: stranger.account_id}
        # Each VLAN is its own subnet: the customer's two servers in one, the stranger elsewhere.
        assert (first.placement.ip_address, second.placement.ip_address) == (
            "10.11.0.2",
            "10.11.0.3",
        )
        assert theirs.placement.ip_address == "10.11.1.2"
        with world.rt.uow() as uow:
            pools = {p.cidr: p.gateway for p in uow.network.pools(1)}
        assert pools == {"10.11.0.0/24": "10.11.0.1", "10.11.1.0/24": "10.11.1.1"}

    def test_placement_prefers_the_least_loaded_node(self, world: World, customer: Actor) -> None:
        first = world.running_server(customer, tariff_id=3)
        second = world.running_server(customer)
        assert (first.placement.node, second.placement.node) == ("pve-msk-1", "pve-msk-2")

    def test_placement_counts_the_servers_placed_whose_guests_are_not_made_yet(
        self, world: World, customer: Actor
    ) -> None:
        # Another worker's saga placed "first" on pve-msk-1 and has not created its guest yet:
        # the node's figures do not show it, the records do.
        world.hold_jobs()
        first = world.order(customer)
        world.hypervisor.fail_next("create", error=WorkerCrash("the other worker, still at it"))
        world.run_jobs()
        placed = world.server(first.server.id).placement
        assert placed.node == "pve-msk-1" and placed.vmid is not None
        assert world.hypervisor.find_guest(placed.vmid) is None

        second = world.order(customer)
        world.run_jobs()

        assert world.server(second.server.id).status is ServerStatus.RUNNING
        assert world.server(second.server.id).placement.node == "pve-msk-2"


FAILURES = {
    "no node online": lambda w: [
        w.hypervisor.set_node_online(n, False) for n in ("pve-msk-1", "pve-msk-2")
    ],
    "guest creation fails": lambda w: w.hypervisor.fail_next("create"),
    "vlan refused": lambda w: w.fabric.fail_next("ensure_vlan"),
    "mapping refused": lambda w: w.fabric.fail_next("ensure_mapping"),
    "rules refused": lambda w: w.fabric.fail_next("ensure_rules"),
    "apply fails": lambda w: w.fabric.fail_next("apply", transient=True),
    "guest does not start": lambda w: w.hypervisor.fail_next("start"),
}


class TestTheReadyMail:
    """The ready e-mail names the account the image logs in with (the one its password was set
    for); the bug: it always said root, whatever the catalogue's image said."""

    @pytest.mark.parametrize(
        ("image_id", "user", "hint"),
        [(4, "ubuntu", "ssh ubuntu@"), (5, "Operator", "RDP"), (1, "root", "ssh root@")],
    )
    def test_it_names_the_images_own_user(
        self, world: World, customer: Actor, image_id: int, user: str, hint: str
    ) -> None:
        with world.rt.uow() as uow:
            current = uow.catalogue.current()
            images = tuple(
                attrs.evolve(i, default_user=user) if i.id == image_id else i
                for i in current.images
            )
            uow.catalogue.publish(attrs.evolve(current, version=current.version + 1, images=images))
            uow.commit()
        server = world.running_server(customer, os_id=image_id)

        [ready] = [n for n in world.notices(customer) if n.template == "server_ready"]
        assert hint in ready.body and user in ready.body
        assert server.placement.ip_address in ready.body


class TestCompensation:
    @pytest.mark.parametrize("failure", FAILURES)
    def test_a_failed_step_undoes_the_finished_ones(
        self, world: World, customer: Actor, failure: str
    ) -> None:
        code = promos.create_promo(
            world.rt, world.admin, PromoDraft(code="SPRING", kind="percent", percent=20)
        )
        FAILURES[failure](world)

        created = world.order(customer, promo_code="SPRING")

        server = world.server(created.server.id)
        assert server.status is ServerStatus.FAILED
        assert server.failure_reason
        assert server.active_action_id is None
        action = world.action(created.action.id)
        assert action.status is ActionStatus.ERROR
        assert action.error is not None and action.error.message == server.failure_reason
        assert ours(world, server.id) == []
        for state in (world.fabric.state(1), world.fabric.live_state(1)):
            assert state.vlans == {} and state.mappings == () and state.rules == {}
        with world.rt.uow() as uow:
            assert uow.network.ip_of(server.id) is None
            assert uow.network.vlan_of(customer.account_id, 1) is None
        # The customer pays nothing for a server they did not get, and keeps their promo code.
        [released] = world.transactions(TxKind.RELEASE)
        assert released.amount.micro == 760_000
        assert world.transactions(TxKind.CAPTURE) == []
        assert world.wallet(customer) == micro("1000.00")
        assert world.held(customer) == 0
        assert promos.get_promo(world.rt, world.admin, code.id).uses == 0
        assert world.templates(customer) == ["welcome", "server_failed"]
        assert world.jobs.failed == []

    def test_no_free_address(self, world: World, customer: Actor) -> None:
        with world.rt.uow() as uow:
            for host in range(2, 255):
                uow.network.assign_ip("10.11.0.0/24", f"10.11.0.{host}", 10_000 + host)
            uow.commit()
        created = world.order(customer)
        server = world.server(created.server.id)
        assert server.status is ServerStatus.FAILED
        assert world.action(created.action.id).error.code == "capacity_exhausted"  # type: ignore[union-attr]
        assert world.wallet(customer) == micro("1000.00")

    def test_the_vlan_stays_while_another_server_of_the_customer_uses_it(
        self, world: World, customer: Actor
    ) -> None:
        kept = world.running_server(customer)
        world.hypervisor.fail_next("start")

        failed = world.order(customer)

        assert world.server(failed.server.id).status is ServerStatus.FAILED
        state = world.fabric.state(1)
        assert state.vlans == {100: customer.account_id}
        assert [m.mac_address for m in state.mappings] == [kept.placement.mac_address]
        assert list(state.rules) == [kept.id]
        with world.rt.uow() as uow:
            assert uow.network.vlan_of(customer.account_id, 1) == 100
        assert world.hypervisor.find_guest(kept.placement.vmid).status == "running"  # type: ignore[arg-type,union-attr]

    def test_a_guest_that_is_not_ours_is_never_destroyed(
        self, world: World, customer: Actor
    ) -> None:
        world.hold_jobs()
        world.order(customer)
        world.hypervisor.fail_next("create", error=WorkerCrash())
        world.run_jobs()  # the worker crashed after choosing vmid 100
        [crashed] = world.jobs.failed
        world.hypervisor.seed_guest("pve-msk-2", 100, name="someone-else")
        world.hypervisor.fail_next(
            "create", immediate=True
        )  # the retry fails with vmid 100 recorded

        provision_server(world.rt, **crashed.args)

        assert world.server(crashed.args["server_id"]).status is ServerStatus.FAILED
        assert world.server(crashed.args["server_id"]).placement.vmid == 100
        foreign = world.hypervisor.find_guest(100)
        assert foreign is not None and (foreign.name, foreign.status) == ("someone-else", "running")


class WorkerCrash(RuntimeError):
    """Not a domain error: the worker process dies here, like a crash."""


class TestResume:
    """A crashed worker's job runs again and picks up where it stopped, repeating nothing."""

    def crash_before_start(self, world: World, customer: Actor) -> dict[str, object]:
        world.hold_jobs()
        created = world.order(customer)
        world.hypervisor.fail_next("start", error=WorkerCrash("worker killed"))
        world.run_jobs()
        [crashed] = world.jobs.failed
        server = world.server(created.server.id)
        assert server.status is ServerStatus.PROVISIONING
        assert server.saga_steps == STEPS[:-1]
        assert world.held(customer) == START_HOURLY
        return crashed.args

    def assert_provisioned_once(self, world: World, customer: Actor, server_id: int) -> None:
        server = world.server(server_id)
        assert server.status is ServerStatus.RUNNING
        assert ours(world, server_id) == [server.placement.vmid]
        assert world.hypervisor.find_guest(server.placement.vmid).status == "running"  # type: ignore[arg-type,union-attr]
        assert Counter(op for op, _ in world.hypervisor.call_log)["create"] == 1
        assert len(world.transactions(TxKind.CAPTURE)) == 1
        assert world.wallet(customer) == micro("1000.00") - START_HOURLY
        assert world.held(customer) == 0
        state = world.fabric.state(1)
        assert len(state.mappings) == 1 and list(state.rules) == [server_id]
        assert world.templates(customer) == ["welcome", "server_ready"]

    def test_after_a_crash_before_the_guest_started(self, world: World, customer: Actor) -> None:
        args = self.crash_before_start(world, customer)
        provision_server(world.rt, **args)  # type: ignore[arg-type]
        self.assert_provisioned_once(world, customer, args["server_id"])  # type: ignore[arg-type]

    def test_after_a_crash_between_creating_the_guest_and_recording_it(
        self, world: World, customer: Actor
    ) -> None:
        args = self.crash_before_start(world, customer)
        with world.rt.uow() as uow:
            server = uow.servers.get(args["server_id"])  # type: ignore[arg-type]
            assert server is not None
            server.saga_steps = STEPS[:3]  # "guest", "mapping" and "firewall" done but not recorded
            uow.servers.update(server)
            uow.commit()

        provision_server(world.rt, **args)  # type: ignore[arg-type]

        self.assert_provisioned_once(world, customer, args["server_id"])  # type: ignore[arg-type]

    def test_after_a_crash_with_a_vmid_taken_meanwhile(self, world: World, customer: Actor) -> None:
        world.hold_jobs()
        created = world.order(customer)
        world.hypervisor.fail_next("create", error=WorkerCrash())
        world.run_jobs()
        [crashed] = world.jobs.failed
        world.hypervisor.seed_guest("pve-msk-2", 100, name="someone-else")

        provision_server(world.rt, **crashed.args)

        server = world.server(created.server.id)
        assert server.status is ServerStatus.RUNNING
        assert server.placement.vmid == 101
        assert ours(world, server.id) == [101]
        assert world.hypervisor.find_guest(100).name == "someone-else"  # type: ignore[union-attr]

    def test_a_repeated_job_after_success_changes_nothing(
        self, world: World, customer: Actor
    ) -> None:
        world.hold_jobs()
        world.order(customer)
        [job] = world.jobs.pending
        world.run_jobs()
        with unchanged(world):
            provision_server(world.rt, **job.args)

    def test_a_job_whose_password_cannot_be_unsealed_is_compensated(
        self, world: World, customer: Actor
    ) -> None:
        world.hold_jobs()
        created = world.order(customer)
        [job] = world.jobs.pending
        world.jobs.clear()
        provision_server(world.rt, **{**job.args, "sealed_root_password": "forged"})
        server = world.server(created.server.id)
        assert server.status is ServerStatus.FAILED and "unsealed" in (server.failure_reason or "")
        assert ours(world, server.id) == []
        assert world.held(customer) == 0 and world.wallet(customer) == micro("1000.00")

    def test_a_repeated_job_after_compensation_changes_nothing(
        self, world: World, customer: Actor
    ) -> None:
        world.hold_jobs()
        created = world.order(customer)
        [job] = world.jobs.pending
        world.hypervisor.fail_next("start")
        world.run_jobs()
        assert world.server(created.server.id).status is ServerStatus.FAILED
        with unchanged(world):
            provision_server(world.rt, **job.args)
