"""Customer commands on a server: power, resize, snapshots, password, console, delete, actions."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest

from domain.model.action import ActionCommand, ActionStatus, ResizeParams
from domain.model.catalogue import ServerConfig
from domain.model.dunning import Standing
from domain.model.errors import (
    AccountRestricted,
    AlreadyExists,
    InsufficientFunds,
    InvalidTransition,
    Locked,
    NotFound,
    RuleViolation,
    ValidationError,
)
from domain.model.ledger import TxKind
from domain.model.server import COMMANDS as TABLE
from domain.model.server import Server, ServerStatus
from domain.model.server_commands import (
    OnServer,
    OnSnapshot,
    OpenConsole,
    ResizeServer,
    TakeSnapshot,
)
from domain.model.values import Cores, DiskGiB, MemoryMiB, SnapshotName
from domain.usecases import catalogue, money, server_commands, servers, snapshots
from domain.usecases.actions import run_server_action
from domain.usecases.actors import Actor
from domain.usecases.billing import billing_run
from domain.usecases.dunning import bill_and_reassess
from domain.usecases.resizing import price_resize

from .support import START_HOURLY, TASK_SECONDS, World, micro, refused, unchanged

BAD_IDS = [10_000, "1", 0, -1, True, None, 1.0]


def guest(world: World, server: Server):  # type: ignore[no-untyped-def]
    found = world.hypervisor.find_guest(server.placement.vmid)  # type: ignore[arg-type]
    assert found is not None
    return found


SIZES = {"cores": Cores, "memory": MemoryMiB, "disk": DiskGiB}


def resize_command(server_id: int, **sizes: object) -> ResizeServer:
    """The command the API builds from a body with these sizes: each value checks itself."""
    return ResizeServer(server_id, **{name: SIZES[name](v) for name, v in sizes.items()})  # type: ignore[arg-type]


@pytest.fixture
def server(world: World, customer: Actor) -> Server:
    return world.running_server(customer, name="web-1")


COMMANDS = {
    "start": lambda rt, actor, sid: server_commands.start_server(rt, actor, OnServer(sid)),
    "stop": lambda rt, actor, sid: server_commands.stop_server(rt, actor, OnServer(sid)),
    "restart": lambda rt, actor, sid: server_commands.restart_server(rt, actor, OnServer(sid)),
    "resize": lambda rt, actor, sid: server_commands.resize_server(
        rt, actor, ResizeServer(sid, cores=Cores(2))
    ),
    "create_snapshot": lambda rt, actor, sid: snapshots.create_snapshot(
        rt, actor, TakeSnapshot(sid, SnapshotName("snap2"))
    ),
    "rollback": lambda rt, actor, sid: snapshots.rollback_snapshot(
        rt, actor, OnSnapshot(sid, SnapshotName("snap1"))
    ),
    "delete_snapshot": lambda rt, actor, sid: snapshots.delete_snapshot(
        rt, actor, OnSnapshot(sid, SnapshotName("snap1"))
    ),
    "reset_password": lambda rt, actor, sid: server_commands.reset_password(
        rt, actor, OnServer(sid)
    ),
    "delete": lambda rt, actor, sid: server_commands.delete_server(rt, actor, OnServer(sid)),
    "get": lambda rt, actor, sid: servers.get_server(rt, actor, sid),
    "actions": lambda rt, actor, sid: servers.server_actions(rt, actor, sid),
    "snapshots": lambda rt, actor, sid: snapshots.list_snapshots(rt, actor, sid),
}


class TestTheCommandsTable:
    """What the commands' table (domain/model/server.py) says of a command is what the server goes
    through: the state while its job has not run yet, and the state it ends in."""

    @pytest.mark.parametrize(
        ("command", "source"),
        [
            ("start", ServerStatus.STOPPED),
            ("stop", ServerStatus.RUNNING),
            ("restart", ServerStatus.RUNNING),
            ("resize", ServerStatus.STOPPED),
            ("create_snapshot", ServerStatus.RUNNING),
            ("reset_password", ServerStatus.RUNNING),
            ("delete", ServerStatus.STOPPED),
        ],
    )
    def test_states_while_running_and_after(
        self, world: World, customer: Actor, server: Server, command: str, source: ServerStatus
    ) -> None:
        if source is ServerStatus.STOPPED:
            server_commands.stop_server(world.rt, customer, OnServer(server.id))
        world.hold_jobs()
        started = COMMANDS[command](world.rt, customer, server.id)
        action = world.action(getattr(started, "action", started).id)
        spec = TABLE[action.command]
        during = spec.running or source
        assert world.server(server.id).status is during
        assert isinstance(action.params, spec.params)

        world.run_jobs()

        assert world.action(action.id).status is ActionStatus.SUCCESS
        assert world.server(server.id).status is (spec.succeeded or during)


class TestWhoMaySeeAServer:
    @pytest.mark.parametrize("command", COMMANDS)
    def test_someone_elses_server_is_not_found(
        self, world: World, server: Server, stranger: Actor, command: str
    ) -> None:
        err = refused(
            world,
            NotFound,
            COMMANDS[command],
            world.rt,
            stranger,
            server.id,
            error_code="not_found",
        )
        assert err.details == {"kind": "server", "id": str(server.id)}

    @pytest.mark.parametrize("command", COMMANDS)
    @pytest.mark.parametrize("server_id", BAD_IDS)
    def test_an_unknown_id_is_not_found(
        self, world: World, server: Server, customer: Actor, command: str, server_id: object
    ) -> None:
        refused(world, NotFound, COMMANDS[command], world.rt, customer, server_id)

    def test_lists_only_the_callers_live_servers(
        self, world: World, server: Server, customer: Actor, stranger: Actor
    ) -> None:
        world.running_server(stranger)
        gone = world.running_server(customer)
        server_commands.delete_server(world.rt, customer, OnServer(gone.id))
        assert [s.id for s in servers.list_servers(world.rt, customer)] == [server.id]

    def test_an_admin_may_act_on_any_server(self, world: World, server: Server) -> None:
        action = server_commands.stop_server(world.rt, world.admin, OnServer(server.id))
        assert world.action(action.id).status is ActionStatus.SUCCESS
        assert world.server(server.id).status is ServerStatus.STOPPED


class TestPower:
    def test_stop_then_start_then_restart(
        self, world: World, customer: Actor, server: Server
    ) -> None:
        stopped = server_commands.stop_server(world.rt, customer, OnServer(server.id))
        assert world.action(stopped.id).status is ActionStatus.SUCCESS
        assert world.server(server.id).status is ServerStatus.STOPPED
        assert guest(world, server).status == "stopped"

        started = server_commands.start_server(world.rt, customer, OnServer(server.id))
        assert world.action(started.id).status is ActionStatus.SUCCESS
        assert world.server(server.id).status is ServerStatus.RUNNING
        assert guest(world, server).status == "running"

        restarted = server_commands.restart_server(world.rt, customer, OnServer(server.id))
        action = world.action(restarted.id)
        assert (action.command, action.status, action.progress) == (
            ActionCommand.RESTART,
            ActionStatus.SUCCESS,
            100,
        )
        assert action.finished_at == action.started_at + dt.timedelta(seconds=TASK_SECONDS)
        assert world.server(server.id).status is ServerStatus.RUNNING
        assert world.server(server.id).active_action_id is None

    def test_start_a_running_server(self, world: World, customer: Actor, server: Server) -> None:
        err = refused(
            world,
            InvalidTransition,
            lambda: server_commands.start_server(world.rt, customer, OnServer(server.id)),
            error_code="invalid_state",
        )
        assert err.details == {"state": "running", "attempted": "start"}

    @pytest.mark.parametrize("command", ["stop", "restart", "reset_password"])
    def test_commands_for_a_running_server_on_a_stopped_one(
        self, world: World, customer: Actor, server: Server, command: str
    ) -> None:
        server_commands.stop_server(world.rt, customer, OnServer(server.id))
        refused(world, InvalidTransition, COMMANDS[command], world.rt, customer, server.id)

    @pytest.mark.parametrize(
        "command", [c for c in COMMANDS if c not in ("get", "actions", "snapshots")]
    )
    def test_a_server_busy_with_an_action_is_locked(
        self, world: World, customer: Actor, server: Server, command: str
    ) -> None:
        snapshots.create_snapshot(
            world.rt, customer, TakeSnapshot(server.id, SnapshotName("snap1"))
        )
        world.hold_jobs()
        busy = server_commands.restart_server(world.rt, customer, OnServer(server.id))
        err = refused(
            world, Locked, COMMANDS[command], world.rt, customer, server.id, error_code="locked"
        )
        assert err.details == {"action_id": busy.id}

    def test_a_failed_start_is_reported_on_the_action_and_unlocks(
        self, world: World, customer: Actor, server: Server
    ) -> None:
        server_commands.stop_server(world.rt, customer, OnServer(server.id))
        world.hypervisor.fail_next("start", message="no quorum")
        action = world.action(
            server_commands.start_server(world.rt, customer, OnServer(server.id)).id
        )
        assert action.status is ActionStatus.ERROR
        assert action.error is not None and action.error.code == "external_failure"
        assert "no quorum" in action.error.message
        after = world.server(server.id)
        assert (after.status, after.active_action_id) == (ServerStatus.STOPPED, None)
        assert guest(world, server).status == "stopped"


class TestResize:
    def test_grows_the_guest_and_rates_the_new_size(
        self, world: World, customer: Actor, server: Server
    ) -> None:
        action = server_commands.resize_server(
            world.rt,
            customer,
            ResizeServer(server.id, cores=Cores(2), memory=MemoryMiB(2048), disk=DiskGiB(40)),
        )

        assert world.action(action.id).status is ActionStatus.SUCCESS
        assert world.action(action.id).params == ResizeParams(cores=2, memory_mib=2048, disk_gib=40)
        g = guest(world, server)
        assert (g.cores, g.memory_mib, g.disk_gib) == (2, 2048, 40)
        after = world.server(server.id)
        assert (after.config.cores, after.config.memory_mib, after.config.disk_gib) == (2, 2048, 40)
        assert after.tariff_id is None  # a resized preset is a custom server
        assert after.meter.hourly.micro == micro("1.90")
        assert after.meter.monthly_cap.micro == micro("1387.00")

    def test_the_old_size_is_billed_up_to_the_resize_and_the_new_one_after(
        self, world: World, customer: Actor, server: Server
    ) -> None:
        ordered_at = server.created_at
        world.clock.set(ordered_at + dt.timedelta(hours=3))
        server_commands.resize_server(
            world.rt,
            customer,
            ResizeServer(server.id, cores=Cores(2), memory=MemoryMiB(2048), disk=DiskGiB(40)),
        )
        resized_at = ordered_at + dt.timedelta(hours=3, seconds=TASK_SECONDS)

        [old] = world.transactions(TxKind.USAGE)
        # 3 h 5 s at 0.95 an hour, less the first hour paid up front.
        assert (
            old.amount.micro
            == (START_HOURLY * (3 * 3600 + TASK_SECONDS) + 1800) // 3600 - START_HOURLY
        )

        world.clock.set(resized_at + dt.timedelta(hours=2))
        billing_run(world.rt)
        [_, new] = world.transactions(TxKind.USAGE)
        assert new.amount.micro == 2 * micro("1.90")

    def test_only_the_disk(self, world: World, customer: Actor, server: Server) -> None:
        server_commands.resize_server(world.rt, customer, ResizeServer(server.id, disk=DiskGiB(30)))
        config = world.server(server.id).config
        assert (config.cores, config.memory_mib, config.disk_gib) == (1, 1024, 30)

    @pytest.mark.parametrize(
        ("sizes", "error", "field"),
        [
            ({}, ValidationError, "cores"),
            ({"disk": 10}, RuleViolation, "disk"),  # disks only grow
            ({"cores": 1, "memory": 1024, "disk": 20}, RuleViolation, "cores"),  # as it is
            ({"cores": 33}, RuleViolation, "cores"),  # the catalogue's limits
            ({"cores": 0}, ValidationError, "cores"),  # no count of cores at all (Cores)
            ({"cores": "2"}, ValidationError, "cores"),
            ({"memory": 1000}, RuleViolation, "memory"),
            ({"memory": 2048.0}, ValidationError, "memory"),
            ({"disk": 2001}, RuleViolation, "disk"),
        ],
    )
    def test_bad_sizes(
        self,
        world: World,
        customer: Actor,
        server: Server,
        sizes: dict[str, object],
        error: type,
        field: str,
    ) -> None:
        refused(
            world,
            error,
            lambda: server_commands.resize_server(
                world.rt, customer, resize_command(server.id, **sizes)
            ),
            field=field,
        )

    def test_a_refused_resize_leaves_size_and_rates(
        self, world: World, customer: Actor, server: Server
    ) -> None:
        world.hypervisor.fail_next("resize", immediate=True, message="storage full")
        action = world.action(
            server_commands.resize_server(
                world.rt, customer, ResizeServer(server.id, cores=Cores(4))
            ).id
        )
        assert action.status is ActionStatus.ERROR
        after = world.server(server.id)
        assert (after.config, after.meter, after.tariff_id) == (server.config, server.meter, 1)
        assert guest(world, server).cores == 1


class TestSnapshots:
    def test_create_list_rollback_delete(
        self, world: World, customer: Actor, server: Server
    ) -> None:
        created = snapshots.create_snapshot(
            world.rt,
            customer,
            TakeSnapshot(server.id, SnapshotName("before-upgrade"), description="clean install"),
        )
        assert world.action(created.id).status is ActionStatus.SUCCESS
        [snap] = snapshots.list_snapshots(world.rt, customer, server.id)
        assert (snap.name, snap.description) == ("before-upgrade", "clean install")

        rolled = snapshots.rollback_snapshot(
            world.rt, customer, OnSnapshot(server.id, SnapshotName("before-upgrade"))
        )
        assert world.action(rolled.id).status is ActionStatus.SUCCESS
        assert world.action(rolled.id).command is ActionCommand.ROLLBACK

        deleted = snapshots.delete_snapshot(
            world.rt, customer, OnSnapshot(server.id, SnapshotName("before-upgrade"))
        )
        assert world.action(deleted.id).status is ActionStatus.SUCCESS
        assert snapshots.list_snapshots(world.rt, customer, server.id) == []

    def test_a_rollback_keeps_the_size_the_customer_pays_for(
        self, world: World, customer: Actor, server: Server
    ) -> None:
        snapshots.create_snapshot(
            world.rt, customer, TakeSnapshot(server.id, SnapshotName("small"))
        )
        server_commands.resize_server(
            world.rt,
            customer,
            ResizeServer(server.id, cores=Cores(2), memory=MemoryMiB(2048), disk=DiskGiB(40)),
        )

        snapshots.rollback_snapshot(
            world.rt, customer, OnSnapshot(server.id, SnapshotName("small"))
        )

        g = guest(world, server)
        assert (g.cores, g.memory_mib, g.disk_gib) == (2, 2048, 40)
        assert [s.name for s in snapshots.list_snapshots(world.rt, customer, server.id)] == [
            "small"
        ]

    def test_a_rollback_gives_back_no_resources_the_customer_stopped_paying_for(
        self, world: World, customer: Actor
    ) -> None:
        big = world.running_server(customer, tariff_id=3)  # 4 cores, 8 GiB
        snapshots.create_snapshot(world.rt, customer, TakeSnapshot(big.id, SnapshotName("big")))
        server_commands.resize_server(
            world.rt, customer, ResizeServer(big.id, cores=Cores(1), memory=MemoryMiB(1024))
        )

        action = snapshots.rollback_snapshot(
            world.rt, customer, OnSnapshot(big.id, SnapshotName("big"))
        )

        assert world.action(action.id).status is ActionStatus.SUCCESS
        g = guest(world, big)
        assert (g.cores, g.memory_mib, g.disk_gib) == (1, 1024, 80)
        assert world.server(big.id).meter.hourly.micro == micro("0.50") + micro("0.25") + micro(
            "0.80"
        )

    def test_a_stopped_server_has_snapshots_too(
        self, world: World, customer: Actor, server: Server
    ) -> None:
        server_commands.stop_server(world.rt, customer, OnServer(server.id))
        snapshots.create_snapshot(world.rt, customer, TakeSnapshot(server.id, SnapshotName("cold")))
        assert [s.name for s in snapshots.list_snapshots(world.rt, customer, server.id)] == ["cold"]

    @pytest.mark.parametrize("name", ["1abc", "a", "a b", "a" * 41, "snap!", "snap\n", "", None, 7])
    def test_a_bad_name(self, world: World, customer: Actor, server: Server, name: object) -> None:
        refused(
            world,
            ValidationError,
            lambda: snapshots.create_snapshot(
                world.rt, customer, TakeSnapshot(server.id, SnapshotName(name))
            ),
            field="snapname",
        )

    @pytest.mark.parametrize("description", ["x" * 256, 42])
    def test_a_bad_description(
        self, world: World, customer: Actor, server: Server, description: object
    ) -> None:
        refused(
            world,
            ValidationError,
            lambda: snapshots.create_snapshot(
                world.rt,
                customer,
                TakeSnapshot(server.id, SnapshotName("ok"), description=description),
            ),
            field="description",
        )

    def test_a_name_in_use(self, world: World, customer: Actor, server: Server) -> None:
        snapshots.create_snapshot(
            world.rt, customer, TakeSnapshot(server.id, SnapshotName("daily"))
        )
        err = refused(
            world,
            AlreadyExists,
            lambda: snapshots.create_snapshot(
                world.rt, customer, TakeSnapshot(server.id, SnapshotName("daily"))
            ),
        )
        assert err.details["field"] == "snapname"

    def test_at_most_the_policys_number(
        self, world: World, customer: Actor, server: Server
    ) -> None:
        for n in range(world.rt.policy.max_snapshots_per_server):
            snapshots.create_snapshot(
                world.rt, customer, TakeSnapshot(server.id, SnapshotName(f"s{n}"))
            )
        refused(
            world,
            ValidationError,
            lambda: snapshots.create_snapshot(
                world.rt, customer, TakeSnapshot(server.id, SnapshotName("extra"))
            ),
            field="snapname",
        )

    @pytest.mark.parametrize("call", [snapshots.rollback_snapshot, snapshots.delete_snapshot])
    def test_an_unknown_snapshot(self, world: World, customer: Actor, server: Server, call) -> None:  # type: ignore[no-untyped-def]
        command = OnSnapshot(server.id, SnapshotName("nope"))
        err = refused(world, NotFound, call, world.rt, customer, command)
        assert err.details["kind"] == "snapshot"


class TestPassword:
    def test_sets_a_new_password_shown_once(
        self, world: World, customer: Actor, server: Server
    ) -> None:
        old = world.hypervisor.password_of(server.placement.vmid)  # type: ignore[arg-type]
        reset = server_commands.reset_password(world.rt, customer, OnServer(server.id))
        assert world.action(reset.action.id).status is ActionStatus.SUCCESS
        assert world.hypervisor.password_of(server.placement.vmid) == reset.password != old  # type: ignore[arg-type]
        assert reset.password not in repr(world.snapshot()["tables"])

    def test_the_new_password_rests_sealed_in_its_job(
        self, world: World, customer: Actor, server: Server
    ) -> None:
        world.hold_jobs()
        reset = server_commands.reset_password(world.rt, customer, OnServer(server.id))
        [job] = world.jobs.pending
        assert reset.password not in repr(job.args)
        world.run_jobs()
        assert world.hypervisor.password_of(server.placement.vmid) == reset.password  # type: ignore[arg-type]

    def test_a_password_job_whose_box_was_tampered_with_fails_cleanly(
        self, world: World, customer: Actor, server: Server
    ) -> None:
        old = world.hypervisor.password_of(server.placement.vmid)  # type: ignore[arg-type]
        world.hold_jobs()
        reset = server_commands.reset_password(world.rt, customer, OnServer(server.id))
        world.jobs.clear()
        run_server_action(world.rt, action_id=reset.action.id, sealed_secret="forged")
        action = world.action(reset.action.id)
        assert action.status is ActionStatus.ERROR
        assert world.hypervisor.password_of(server.placement.vmid) == old  # type: ignore[arg-type]


class TestConsole:
    def test_a_short_lived_ticket_for_a_running_server(
        self, world: World, customer: Actor, server: Server
    ) -> None:
        ticket = servers.open_console(world.rt, customer, OpenConsole(server.placement.vmid))
        assert f"vmid={server.placement.vmid}" in ticket.url
        assert ticket.expires_at - world.clock.now() <= dt.timedelta(minutes=1)

    def test_refusals(self, world: World, customer: Actor, stranger: Actor, server: Server) -> None:
        vmid = server.placement.vmid
        refused(
            world, NotFound, lambda: servers.open_console(world.rt, stranger, OpenConsole(vmid))
        )
        refused(
            world, NotFound, lambda: servers.open_console(world.rt, customer, OpenConsole(4242))
        )
        for bad in (0, -1, "100", None, True):
            refused(
                world,
                ValidationError,
                OpenConsole,  # the command refuses it before any use case runs
                bad,
                field="vmid",
            )
        server_commands.stop_server(world.rt, customer, OnServer(server.id))
        refused(
            world,
            InvalidTransition,
            lambda: servers.open_console(world.rt, customer, OpenConsole(vmid)),
        )
        world.hold_jobs()
        server_commands.start_server(world.rt, customer, OnServer(server.id))
        refused(world, Locked, lambda: servers.open_console(world.rt, customer, OpenConsole(vmid)))


class TestDelete:
    def test_removes_guest_network_and_stops_billing(
        self, world: World, customer: Actor, server: Server
    ) -> None:
        world.clock.set(server.created_at + dt.timedelta(hours=2))
        deleted_at = world.clock.now()

        action = server_commands.delete_server(world.rt, customer, OnServer(server.id))

        assert world.action(action.id).status is ActionStatus.SUCCESS
        after = world.server(server.id)
        assert after.status is ServerStatus.DELETED
        assert after.active_action_id is None
        assert world.hypervisor.find_guest(server.placement.vmid) is None  # type: ignore[arg-type]
        for state in (world.fabric.state(1), world.fabric.live_state(1)):
            assert state.vlans == {} and state.mappings == () and state.rules == {}
        with world.rt.uow() as uow:
            assert uow.network.ip_of(server.id) is None
            assert uow.network.vlan_of(customer.account_id, 1) is None
        # Usage up to the moment of deleting: the second hour.
        [usage] = world.transactions(TxKind.USAGE)
        assert usage.amount.micro == START_HOURLY
        assert after.meter.billed_until == deleted_at
        assert world.templates(customer)[-1] == "server_deleted"

        world.clock.advance(dt.timedelta(days=3))
        billing_run(world.rt)
        assert len(world.transactions(TxKind.USAGE)) == 1
        refused(world, NotFound, servers.get_server, world.rt, customer, server.id)
        refused(
            world,
            NotFound,
            lambda: server_commands.delete_server(world.rt, customer, OnServer(server.id)),
        )
        assert servers.get_server(world.rt, world.admin, server.id).status is ServerStatus.DELETED

    def test_a_stopped_server(self, world: World, customer: Actor, server: Server) -> None:
        server_commands.stop_server(world.rt, customer, OnServer(server.id))
        server_commands.delete_server(world.rt, customer, OnServer(server.id))
        assert world.server(server.id).status is ServerStatus.DELETED
        assert world.hypervisor.guests_all() == []

    def test_a_failed_server(self, world: World, customer: Actor) -> None:
        world.hypervisor.fail_next("create")
        failed = world.order(customer)
        server_commands.delete_server(world.rt, customer, OnServer(failed.server.id))
        assert world.server(failed.server.id).status is ServerStatus.DELETED
        assert world.transactions(TxKind.USAGE) == []

    def test_a_server_still_being_created_is_locked(self, world: World, customer: Actor) -> None:
        world.hold_jobs()
        created = world.order(customer)
        refused(
            world,
            Locked,
            lambda: server_commands.delete_server(world.rt, customer, OnServer(created.server.id)),
        )

    def test_the_shared_vlan_stays_for_the_other_servers(
        self, world: World, customer: Actor, server: Server
    ) -> None:
        other = world.running_server(customer)
        server_commands.delete_server(world.rt, customer, OnServer(server.id))
        assert world.fabric.state(1).vlans == {100: customer.account_id}
        assert list(world.fabric.state(1).rules) == [other.id]


class TestActions:
    def test_get_action_and_the_servers_history(
        self, world: World, customer: Actor, server: Server
    ) -> None:
        stop = server_commands.stop_server(world.rt, customer, OnServer(server.id))
        assert servers.get_action(world.rt, customer, stop.id).status is ActionStatus.SUCCESS
        history = servers.server_actions(world.rt, customer, server.id)
        assert [a.command for a in history] == [ActionCommand.STOP, ActionCommand.CREATE]
        assert servers.get_action(world.rt, world.admin, stop.id).id == stop.id

    @pytest.mark.parametrize("action_id", [10_000, "1", None, 1.0])
    def test_an_unknown_action(
        self, world: World, customer: Actor, server: Server, action_id: object
    ) -> None:
        refused(world, NotFound, servers.get_action, world.rt, customer, action_id)

    def test_someone_elses_action(self, world: World, stranger: Actor, server: Server) -> None:
        [create] = servers.server_actions(world.rt, world.admin, server.id)
        refused(world, NotFound, servers.get_action, world.rt, stranger, create.id)


class TestResizeAfterACatalogueChange:
    def publish(self, world: World, **changes: object) -> None:
        with world.rt.uow() as uow:
            current = uow.catalogue.current()
            uow.catalogue.publish(attrs.evolve(current, version=current.version + 1, **changes))
            uow.commit()

    def test_a_withdrawn_tariff_makes_the_server_custom(
        self, world: World, customer: Actor, server: Server
    ) -> None:
        tariffs = catalogue.current_catalogue(world.rt).tariffs
        self.publish(world, tariffs=tariffs[1:])

        action = server_commands.resize_server(
            world.rt, customer, ResizeServer(server.id, cores=Cores(2))
        )

        assert world.action(action.id).status is ActionStatus.SUCCESS
        after = world.server(server.id)
        assert (after.tariff_id, after.catalogue_version, after.config.cores) == (None, 2, 2)
        assert after.active_action_id is None
        assert after.meter.hourly.micro == START_HOURLY + micro("0.50")

    def test_a_withdrawn_image_is_refused_before_anything_changes(
        self, world: World, customer: Actor, server: Server
    ) -> None:
        images = catalogue.current_catalogue(world.rt).images
        self.publish(world, images=images[1:])
        refused(
            world,
            NotFound,
            lambda: server_commands.resize_server(
                world.rt, customer, ResizeServer(server.id, cores=Cores(2))
            ),
        )


class TestActionJob:
    def test_a_repeated_job_changes_nothing(
        self, world: World, customer: Actor, server: Server
    ) -> None:
        world.hold_jobs()
        server_commands.stop_server(world.rt, customer, OnServer(server.id))
        [job] = world.jobs.pending
        world.run_jobs()
        with unchanged(world):
            run_server_action(world.rt, **job.args)
            run_server_action(world.rt, action_id=10_000)

    def test_a_password_job_that_lost_its_secret_fails_cleanly(
        self, world: World, customer: Actor, server: Server
    ) -> None:
        old = world.hypervisor.password_of(server.placement.vmid)  # type: ignore[arg-type]
        world.hold_jobs()
        reset = server_commands.reset_password(world.rt, customer, OnServer(server.id))
        world.jobs.clear()

        run_server_action(world.rt, action_id=reset.action.id)

        action = world.action(reset.action.id)
        assert action.status is ActionStatus.ERROR
        assert action.error is not None and action.error.code == "not_found"
        assert world.server(server.id).active_action_id is None
        assert world.hypervisor.password_of(server.placement.vmid) == old  # type: ignore[arg-type]


class TestRestrictedAccounts:
    def test_cannot_grow_a_server(self, world: World, customer: Actor) -> None:
        server = world.running_server(customer)
        with world.rt.uow() as uow:
            account = uow.accounts.get(customer.account_id)
            assert account is not None
            account.standing = Standing.RESTRICTED
            uow.accounts.update(account)
            uow.commit()
        refused(
            world,
            AccountRestricted,
            lambda: server_commands.resize_server(
                world.rt, customer, ResizeServer(server.id, cores=Cores(4))
            ),
        )

    def test_an_active_account_may_grow_a_server(self, world: World, customer: Actor) -> None:
        server = world.running_server(customer)
        action = server_commands.resize_server(
            world.rt, customer, ResizeServer(server.id, disk=DiskGiB(server.config.disk_gib + 10))
        )
        assert world.action(action.id).status.value == "success"


class TestRecordsThatCannotFollow:
    def test_a_resize_whose_records_fail_unlocks_the_server(
        self, world: World, customer: Actor
    ) -> None:
        # Regression: when the final bookkeeping of an action raised, the action stayed running and
        # the server stayed locked for ever.
        server = world.running_server(customer)
        world.hold_jobs()
        action = server_commands.resize_server(
            world.rt, customer, ResizeServer(server.id, cores=Cores(server.config.cores + 1))
        )
        with world.rt.uow() as uow:
            current = uow.catalogue.current()
            # The image is withdrawn between the request and the job.
            others = tuple(i for i in current.images if i.id != server.image_id)
            uow.catalogue.publish(attrs.evolve(current, version=current.version + 1, images=others))
            uow.commit()

        world.run_jobs()

        assert world.action(action.id).status is ActionStatus.ERROR
        assert world.server(server.id).active_action_id is None


class TestGrowingInsideThePrepaidHour:
    def test_the_difference_is_charged_at_once(self, world: World, customer: Actor) -> None:
        # Regression: the larger size was free until the prepaid first hour ended.
        server = world.running_server(customer)
        world.clock.set(server.created_at + dt.timedelta(minutes=30))
        before = world.wallet(customer)

        action = server_commands.resize_server(
            world.rt, customer, ResizeServer(server.id, cores=Cores(server.config.cores + 1))
        )

        assert world.action(action.id).status is ActionStatus.SUCCESS
        grown = world.server(server.id)
        difference = grown.meter.hourly.micro - server.meter.hourly.micro
        left = (server.meter.billed_until - world.clock.now()) // dt.timedelta(seconds=1)
        # Held when asked for, captured for what was left of the hour when the guest had grown.
        [extra] = world.transactions(TxKind.CAPTURE, server_id=server.id)[1:]
        assert extra.key.startswith("resize:")
        assert extra.amount.micro == (difference * left * 2 + 3600) // 7200  # half up
        assert world.wallet(customer) == before - extra.amount.micro
        assert world.held(customer) == 0


class TestAResizeIsCoveredLikeAnOrder:
    """Regression: a customer with nothing left grew a server to the catalogue's largest size; the
    difference was charged as usage when the guest had grown, the wallet went below zero and a
    second resize was accepted too. Now the difference for the rest of the prepaid period is held
    when the resize is asked for, as an order holds its first period."""

    LARGEST = {"cores": 32, "memory": 131072, "disk": 2000}

    def short(self, world: World, balance: str) -> tuple[Actor, Server]:
        """A customer who ordered tariff 1 (0.95 for the first hour) half an hour ago."""
        actor = world.customer(balance=balance)
        server = world.running_server(actor)
        world.clock.set(server.created_at + dt.timedelta(minutes=30))
        return actor, server

    def test_an_uncovered_resize_is_refused_with_what_it_needs(self, world: World) -> None:
        actor, server = self.short(world, "1.05")  # 0.10 left after the first hour

        err = refused(
            world,
            InsufficientFunds,
            server_commands.resize_server,
            world.rt,
            actor,
            resize_command(server.id, **self.LARGEST),
            error_code="insufficient_funds",
        )

        wanted = ServerConfig(32, 131072, 2000)
        with world.rt.uow() as uow:
            extra = price_resize(uow.catalogue.current(), server, wanted, world.clock.now()).extra
        assert extra.micro > micro("0.10")
        assert err.details["required"] == extra.format()
        assert err.details["available"] == "0.10"
        assert world.server(server.id).config == server.config
        assert world.wallet(actor) == micro("0.10")

    def test_a_customer_the_order_left_with_nothing_cannot_grow(self, world: World) -> None:
        # The order's hold is a charge: the standing is re-assessed at once, not at the next
        # dunning run, and nothing left with a server to pay for is restricted.
        actor, server = self.short(world, "0.95")

        assert world.wallet(actor) == 0
        assert money.get_balance(world.rt, actor).standing is Standing.RESTRICTED
        refused(
            world,
            AccountRestricted,
            server_commands.resize_server,
            world.rt,
            actor,
            resize_command(server.id, **self.LARGEST),
        )

    def test_the_wallet_never_goes_below_zero_and_a_second_resize_is_refused_too(
        self, world: World
    ) -> None:
        actor, server = self.short(world, "1.45")  # 0.50 left after the first hour

        first = server_commands.resize_server(
            world.rt, actor, ResizeServer(server.id, cores=Cores(2))
        )  # 0.25 for 30 minutes

        assert world.action(first.id).status is ActionStatus.SUCCESS
        assert 0 <= world.wallet(actor) < micro("0.50")
        refused(
            world,
            InsufficientFunds,
            lambda: server_commands.resize_server(
                world.rt, actor, ResizeServer(server.id, cores=Cores(4))
            ),
        )
        assert world.wallet(actor) >= 0

    def test_the_hold_is_visible_until_the_guest_has_grown(
        self, world: World, customer: Actor
    ) -> None:
        server = world.running_server(customer)
        world.clock.set(server.created_at + dt.timedelta(minutes=30))
        before = world.wallet(customer)
        world.hold_jobs()

        action = server_commands.resize_server(
            world.rt, customer, ResizeServer(server.id, cores=Cores(2))
        )

        [held] = world.transactions(TxKind.HOLD, server_id=server.id)[1:]
        assert held.key == f"resize:{server.id}:{action.id}:hold"
        assert world.held(customer) == held.amount.micro > 0
        assert world.wallet(customer) == before - held.amount.micro
        world.run_jobs()
        assert world.held(customer) == 0
        [captured] = world.transactions(TxKind.CAPTURE, server_id=server.id)[1:]
        assert captured.hold_key == held.key and 0 < captured.amount.micro <= held.amount.micro
        assert world.wallet(customer) == before - captured.amount.micro

    def test_a_failed_resize_gives_the_hold_back(self, world: World, customer: Actor) -> None:
        server = world.running_server(customer)
        world.clock.set(server.created_at + dt.timedelta(minutes=30))
        before = world.wallet(customer)
        world.hypervisor.fail_next("resize", message="no space left on the storage")

        action = server_commands.resize_server(
            world.rt, customer, ResizeServer(server.id, cores=Cores(2))
        )

        assert world.action(action.id).status is ActionStatus.ERROR
        assert world.wallet(customer) == before and world.held(customer) == 0
        assert [t.kind for t in world.transactions(server_id=server.id)][-2:] == [
            TxKind.HOLD,
            TxKind.RELEASE,
        ]

    def test_past_the_prepaid_period_nothing_is_held(self, world: World, customer: Actor) -> None:
        server = world.running_server(customer)
        world.clock.set(server.created_at + dt.timedelta(hours=2))
        billing_run(world.rt)

        action = server_commands.resize_server(
            world.rt, customer, ResizeServer(server.id, cores=Cores(2))
        )

        assert world.action(action.id).status is ActionStatus.SUCCESS
        assert len(world.transactions(TxKind.HOLD, server_id=server.id)) == 1  # the order's

    def test_a_usage_charge_that_overdraws_restricts_the_account_at_once(
        self, world: World
    ) -> None:
        # Usage may take a wallet below zero; the standing follows at the billing tick, not at the
        # next dunning run, so the account cannot grow a server meanwhile.
        actor, server = self.short(world, "1.05")
        world.clock.set(server.created_at + dt.timedelta(hours=2))

        assert billing_run(world.rt).charged_micro > 0  # billing alone leaves the standing be
        assert money.get_balance(world.rt, actor).standing is Standing.LOW_BALANCE
        world.clock.set(server.created_at + dt.timedelta(hours=3))
        bill_and_reassess(world.rt)

        assert world.wallet(actor) < 0
        assert money.get_balance(world.rt, actor).standing is Standing.RESTRICTED
        refused(
            world,
            AccountRestricted,
            lambda: server_commands.resize_server(
                world.rt, actor, ResizeServer(server.id, cores=Cores(2))
            ),
        )
