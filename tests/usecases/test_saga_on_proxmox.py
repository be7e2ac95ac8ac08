"""The create saga against the real Proxmox adapter on the PVE simulator: whichever step fails, the
customer gets their money back and the cluster keeps no guest of the failed server.

The back office is the composition root's, with the adapter injected as the hypervisor. Time is
virtual: the adapter's pauses (task polling, retries) move the FakeClock that the simulator's tasks
and the back office both read, so a saga runs to its end inside `World.order`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import pytest

from adapters.memory import FakeClock
from adapters.proxmox.client import ProxmoxClient
from adapters.proxmox.config import ProxmoxConnection
from adapters.proxmox.hypervisor import ProxmoxHypervisor
from adapters.proxmox.lxc_password import SshLxcPasswordCommand, SshSettings
from domain.model.action import ActionStatus
from domain.model.ledger import TxKind
from domain.model.server import ServerStatus
from domain.model.server_commands import RebuildServer
from domain.usecases.actors import Actor
from domain.usecases.provisioning import provision_server
from domain.usecases.rebuilding import rebuild_server
from domain.usecases.reconcile import reconcile_guests
from domain.usecases.ssh_keys import NewSshKey, add_ssh_key
from ports.hypervisor import GuestInfo, GuestSpec, TaskRef
from simulators.proxmox import ProxmoxSimulator
from tests.backoffice import Backoffice
from tests.contract.proxmox_rig import SimulatedNodeShell
from tests.e2e.infrastructure import BRIDGE, proxmox_sites, simulated_proxmox

from .support import START, TASK_SECONDS, World, micro

MSK = ("pve-msk-1", "pve-msk-2")  # location 1, where the orders go
FOREIGN = "someone-else-"  # the name of every guest the test makes in another actor's stead


class RacingProxmox(ProxmoxHypervisor):
    """The adapter, with a stand-in for what other actors do to the cluster at the moment the saga
    creates its guest: another creator taking the vmid first, or the node dropping off."""

    def __init__(self, simulator: ProxmoxSimulator, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.simulator = simulator
        self.vmids_to_lose = 0  # creates that another creator beats to their vmid
        self.node_drops_after_create = False
        self.killed_after: str | None = None  # "create_guest" or "start": the process dies there
        self.blind_finds = 0  # lookups that miss a guest that is there (a lagging view)

    def create_guest(self, node: str, spec: GuestSpec) -> TaskRef:
        if self.vmids_to_lose:
            self.vmids_to_lose -= 1
            self.simulator.seed_guest(node, spec.vmid, name=f"{FOREIGN}{spec.vmid}")
        ref = super().create_guest(node, spec)
        if self.node_drops_after_create:
            self.node_drops_after_create = False
            self.simulator.set_node_online(node, False)
        self._die_after("create_guest")
        return ref

    def find_guest(self, vmid: int) -> GuestInfo | None:
        if self.blind_finds:
            self.blind_finds -= 1
            return None
        return super().find_guest(vmid)

    def start(self, node: str, vmid: int) -> TaskRef:
        ref = super().start(node, vmid)
        self._die_after("start")
        return ref

    def _die_after(self, operation: str) -> None:
        if self.killed_after == operation:
            self.killed_after = None
            raise Killed(operation)


class Killed(BaseException):
    """kill -9 of the scheduler: the request reached PVE, the process is gone, nothing is undone."""


@attrs.define
class OnProxmox:
    world: World
    simulator: ProxmoxSimulator
    hypervisor: RacingProxmox

    def guests(self) -> list[dict[str, Any]]:
        """The cluster's guests that are not templates."""
        return [g for g in self.simulator.guests() if not g["template"]]

    def ours(self) -> list[dict[str, Any]]:
        """Every guest but the templates and those other actors made (see `FOREIGN`)."""
        return [g for g in self.guests() if not g["name"].startswith(FOREIGN)]

    def tagged_for(self, server_id: int) -> list[int]:
        tag = f"server-{server_id}"
        return [g["vmid"] for g in self.simulator.guests() if tag in g["tags"]]

    def settle_view(self) -> None:
        """Let the lagging /cluster/resources view catch up with what was changed by hand."""
        self.world.clock.advance(dt.timedelta(seconds=5))


@pytest.fixture
def pve() -> Iterator[OnProxmox]:
    clock = FakeClock(START)
    with simulated_proxmox(task_seconds=TASK_SECONDS, clock=clock) as simulator:
        connection = ProxmoxConnection(simulator.url, simulator.token_id, simulator.token_secret)
        client = ProxmoxClient(connection, sleep=clock.advance)
        hypervisor = RacingProxmox(
            simulator,
            client,
            proxmox_sites(),
            clock=clock,
            sleep=clock.advance,
            lxc_password_command=SshLxcPasswordCommand(
                SshSettings(), SimulatedNodeShell(simulator)
            ),
        )
        world = World(Backoffice(clock=clock, hypervisor=hypervisor))
        yield OnProxmox(world, simulator, hypervisor)
        client.close()
    # simulated_proxmox checks at its exit that every request passed the PVE schema


@pytest.fixture
def customer(pve: OnProxmox) -> Actor:
    return pve.world.customer()


def _fill_every_node(pve: OnProxmox) -> None:
    for vmid, node in enumerate(MSK, start=500):
        # Each node's memory all taken by one guest that is not ours.
        pve.simulator.seed_guest(node, vmid, name=f"{FOREIGN}{vmid}", memory_mib=262144)
    pve.settle_view()


def _lose_every_vmid(pve: OnProxmox) -> None:
    pve.hypervisor.vmids_to_lose = 99  # more than the saga tries


def _clone_then_refuse_its_config(pve: OnProxmox) -> None:
    pve.simulator.fail_next("reconfigure", message="update VM 100: storage is full")


@attrs.frozen
class Failure:
    arrange: Callable[[OnProxmox], object]
    order: dict[str, Any] = attrs.field(factory=dict)
    guest_made: bool = False  # the failure comes after a guest exists: compensation destroys it


FAILURES = {
    "placement: every node full": Failure(_fill_every_node),
    "vmid taken between nextid and create, every time": Failure(_lose_every_vmid),
    "create task fails": Failure(lambda p: p.simulator.fail_next("create")),
    "create refused at the call": Failure(
        lambda p: p.simulator.fail_next("create", immediate=True)
    ),
    "mapping refused": Failure(
        lambda p: p.world.fabric.fail_next("ensure_mapping"), guest_made=True
    ),
    "firewall rules refused": Failure(
        lambda p: p.world.fabric.fail_next("ensure_rules"), guest_made=True
    ),
    "firewall apply fails": Failure(
        lambda p: p.world.fabric.fail_next("apply", transient=True), guest_made=True
    ),
    "start task fails": Failure(lambda p: p.simulator.fail_next("start"), guest_made=True),
    "qemu: clone made, its config refused": Failure(
        _clone_then_refuse_its_config, {"os_id": 4}, guest_made=True
    ),
}


def _assert_failed_and_refunded(pve: OnProxmox, customer: Actor, created: Any) -> None:
    world = pve.world
    server = world.server(created.server.id)
    assert server.status is ServerStatus.FAILED, (server.status, world.jobs.failed)
    assert server.failure_reason and server.active_action_id is None
    assert world.action(created.action.id).status is ActionStatus.ERROR
    assert world.transactions(TxKind.CAPTURE) == []
    assert len(world.transactions(TxKind.RELEASE)) == 1
    assert world.wallet(customer) == micro("1000.00")
    assert world.held(customer) == 0
    assert world.templates(customer) == ["welcome", "server_failed"]
    assert world.jobs.failed == []
    with world.rt.uow() as uow:
        assert uow.network.ip_of(server.id) is None


class TestNoOrphan:
    @pytest.mark.parametrize("failure", FAILURES)
    def test_a_failed_step_leaves_no_guest_of_the_server(
        self, pve: OnProxmox, customer: Actor, failure: str
    ) -> None:
        planned = FAILURES[failure]
        planned.arrange(pve)

        created = pve.world.order(customer, **planned.order)

        _assert_failed_and_refunded(pve, customer, created)
        assert pve.tagged_for(created.server.id) == []
        assert pve.ours() == []
        assert pve.simulator.running_tasks() == []
        # The guest made before the failure was there, and went by a destroy (not by magic).
        destroyed = [path for method, path in pve.simulator.requests if method == "DELETE"]
        kind = "qemu" if planned.order.get("os_id") == 4 else "lxc"
        assert destroyed == ([f"/nodes/pve-msk-1/{kind}/100"] if planned.guest_made else [])
        # Another actor's guest is never the saga's to destroy, not even at a vmid it recorded.
        foreign = [g for g in pve.guests() if g["name"].startswith(FOREIGN)]
        assert all(g["status"] == "running" for g in foreign)
        if failure.startswith("vmid taken"):
            assert [g["vmid"] for g in foreign] == [100, 101, 102, 103, 104]

    def test_a_node_lost_mid_create_leaves_the_guest_to_the_reconciler(
        self, pve: OnProxmox, customer: Actor
    ) -> None:
        pve.hypervisor.node_drops_after_create = True

        created = pve.world.order(customer)

        _assert_failed_and_refunded(pve, customer, created)
        # Compensation cannot reach the node: the guest it made stays there, tagged, until the
        # node is back and the reconciler's grace period has passed.
        [vmid] = pve.tagged_for(created.server.id)
        node = pve.world.server(created.server.id).placement.node
        assert node is not None
        pve.simulator.set_node_online(node, True)
        pve.world.clock.advance(dt.timedelta(hours=1))

        report = reconcile_guests(pve.world.rt)

        assert report.orphans_destroyed == [vmid]
        assert pve.tagged_for(created.server.id) == []
        assert pve.ours() == []
        assert pve.world.wallet(customer) == micro("1000.00")

    def test_a_vmid_lost_once_is_taken_from_the_next_free_one(
        self, pve: OnProxmox, customer: Actor
    ) -> None:
        pve.hypervisor.vmids_to_lose = 1

        server = pve.world.running_server(customer)

        assert server.placement.vmid == 101
        assert pve.tagged_for(server.id) == [101]
        foreign = pve.simulator.guest(100)
        assert foreign is not None and foreign["name"] == f"{FOREIGN}100"


def _net(value: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in value.split(","))


class TestProvisionedOnTheCluster:
    def test_a_container(self, pve: OnProxmox, customer: Actor) -> None:
        created = pve.world.order(
            customer, location_id=1, name="web-1", cores=2, memory=2048, disk=30
        )
        server = pve.world.server(created.server.id)
        assert server.status is ServerStatus.RUNNING, server.failure_reason
        p = server.placement
        guest = pve.simulator.guest(p.vmid)  # type: ignore[arg-type]
        assert guest is not None
        config = guest["config"]
        assert (guest["node"], guest["type"], guest["status"]) == (p.node, "lxc", "running")
        assert _net(config["net0"]) == {
            "name": "eth0",
            "bridge": BRIDGE,
            "hwaddr": p.mac_address.upper(),  # type: ignore[union-attr]
            "tag": str(p.vlan),
            "ip": f"{p.ip_address}/24",
            "gw": "10.11.0.1",
            "type": "veth",
        }
        assert (config["hostname"], config["cores"], config["memory"]) == ("web-1", "2", "2048")
        assert "size=30G" in config["rootfs"] and config["rootfs"].startswith("local-lvm:")
        assert config["unprivileged"] == "1"
        assert config["tags"] == f"hostprovider;server-{server.id}"
        assert guest["passwords"]["root"] == created.root_password
        assert pve.world.transactions(TxKind.CAPTURE) != []
        assert pve.world.held(customer) == 0

    def test_a_virtual_machine(self, pve: OnProxmox, customer: Actor) -> None:
        created = pve.world.order(
            customer, os_id=4, location_id=1, name="vm-1", cores=2, memory=4096, disk=50
        )
        server = pve.world.server(created.server.id)
        assert server.status is ServerStatus.RUNNING, server.failure_reason
        p = server.placement
        guest = pve.simulator.guest(p.vmid)  # type: ignore[arg-type]
        assert guest is not None
        config = guest["config"]
        assert (guest["node"], guest["type"], guest["status"]) == (p.node, "qemu", "running")
        assert _net(config["net0"]) == {
            "virtio": p.mac_address.upper(),  # type: ignore[union-attr]
            "bridge": BRIDGE,
            "tag": str(p.vlan),
        }
        assert config["ipconfig0"] == f"ip={p.ip_address}/24,gw=10.11.0.1"
        assert (config["name"], config["cores"], config["memory"]) == ("vm-1", "2", "4096")
        assert "size=50G" in config["scsi0"]
        assert config["tags"] == f"hostprovider;server-{server.id}"
        assert "description" not in config  # the clone's in-progress marker is gone
        assert guest["passwords"]["root"] == created.root_password
        assert pve.world.held(customer) == 0

    @pytest.mark.parametrize("os_id", [1, 4], ids=["lxc", "qemu"])
    def test_the_orders_ssh_keys_reach_the_guest(
        self, pve: OnProxmox, customer: Actor, os_id: int
    ) -> None:
        """LXC takes them as `ssh-public-keys` at create, a VM as cloud-init `sshkeys`."""
        line = (
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
            " alice@laptop"
        )
        key = add_ssh_key(pve.world.rt, customer, NewSshKey("laptop", line))
        created = pve.world.order(customer, os_id=os_id, location_id=1, ssh_keys=(key.id,))
        server = pve.world.server(created.server.id)
        assert server.status is ServerStatus.RUNNING, server.failure_reason
        guest = pve.simulator.guest(server.placement.vmid)  # type: ignore[arg-type]
        assert guest is not None and guest["ssh_keys"] == line
        assert created.root_password is None

    @pytest.mark.parametrize(("os_id", "again"), [(1, 2), (4, 5)], ids=["lxc", "qemu"])
    def test_a_rebuild_reinstalls_on_the_same_vmid_and_network(
        self, pve: OnProxmox, customer: Actor, os_id: int, again: int
    ) -> None:
        created = pve.world.order(
            customer, os_id=os_id, location_id=1, cores=2, memory=4096, disk=50
        )
        server = pve.world.server(created.server.id)
        before = pve.simulator.guest(server.placement.vmid)  # type: ignore[arg-type]
        assert before is not None

        rebuilt = rebuild_server(pve.world.rt, customer, RebuildServer(server.id, again))

        assert pve.world.action(rebuilt.action.id).status.value == "success"
        guest = pve.simulator.guest(server.placement.vmid)  # type: ignore[arg-type]
        assert guest is not None and guest["status"] == "running"
        assert guest["config"]["net0"] == before["config"]["net0"]  # same MAC, bridge and VLAN
        assert guest["passwords"][rebuilt.user] == rebuilt.root_password
        assert pve.world.server(server.id).image_id == again


class TestRerunAfterAKill:
    """The scheduler is killed right after PVE accepted a create or a start; its job runs again
    (procrastinate's stalled-job recovery) in another process, with the task still running or
    already done. The order ends running, charged once, with one guest."""

    @pytest.mark.parametrize("task_done", [False, True], ids=["task running", "task done"])
    @pytest.mark.parametrize("kind_os", [1, 4], ids=["lxc", "qemu"])
    @pytest.mark.parametrize("operation", ["create_guest", "start"])
    def test_the_rerun_finishes_the_order(
        self, pve: OnProxmox, customer: Actor, operation: str, kind_os: int, task_done: bool
    ) -> None:
        world = pve.world
        world.hold_jobs()
        created = world.order(customer, os_id=kind_os)
        [job] = world.jobs.pending
        pve.hypervisor.killed_after = operation
        with pytest.raises(Killed):
            provision_server(world.rt, **job.args)
        assert world.server(created.server.id).status is ServerStatus.PROVISIONING
        if task_done:
            world.clock.advance(dt.timedelta(seconds=TASK_SECONDS * 3))

        assert world.run_jobs() == 1  # the rescuer

        server = world.server(created.server.id)
        assert server.status is ServerStatus.RUNNING, (server.failure_reason, world.jobs.failed)
        assert pve.tagged_for(server.id) == [server.placement.vmid]
        assert pve.simulator.guest(server.placement.vmid)["status"] == "running"  # type: ignore[index]
        assert [g["vmid"] for g in pve.ours()] == [server.placement.vmid]
        assert len(world.transactions(TxKind.CAPTURE)) == 1
        assert world.transactions(TxKind.RELEASE) == []
        assert world.held(customer) == 0
        assert not [m for m, path in pve.simulator.requests if m == "DELETE"]  # nothing destroyed

    def test_a_create_refused_as_existing_adopts_the_guest_an_earlier_run_made(
        self, pve: OnProxmox, customer: Actor
    ) -> None:
        """The rerun's look-up misses the guest the killed run created; PVE then answers the create
        with "already exists". That guest, tagged for this server, is the one to go on with: no
        second guest on another vmid, leaving the first one to nobody."""
        world = pve.world
        world.hold_jobs()
        created = world.order(customer)
        [job] = world.jobs.pending
        pve.hypervisor.killed_after = "create_guest"
        with pytest.raises(Killed):
            provision_server(world.rt, **job.args)
        world.clock.advance(dt.timedelta(seconds=TASK_SECONDS * 3))
        pve.hypervisor.blind_finds = 1

        assert world.run_jobs() == 1

        server = world.server(created.server.id)
        assert server.status is ServerStatus.RUNNING, (server.failure_reason, world.jobs.failed)
        assert pve.tagged_for(server.id) == [server.placement.vmid]
        assert [g["vmid"] for g in pve.ours()] == [server.placement.vmid]
