"""Rebuild: the guest wiped and installed again from an image of the same kind, keeping the
server's id, address, VLAN and firewall; a new root password shown once; snapshots removed and
named; billing unbroken, a licence priced from the next month; refused across guest kinds and for
others."""

from __future__ import annotations

import datetime as dt

from domain.model.errors import Conflict, Locked, NotFound, RuleViolation
from domain.model.ledger import TxKind
from domain.model.metering import PendingRate
from domain.model.server import Server, ServerStatus
from domain.model.server_commands import OnServer, RebuildServer, ResizeServer, TakeSnapshot
from domain.model.values import Cores, SnapshotName
from domain.usecases import server_commands, snapshots
from domain.usecases.actors import Actor
from domain.usecases.billing import billing_run
from domain.usecases.rebuilding import rebuild_server
from domain.usecases.ssh_keys import NewSshKey, add_ssh_key
from tests.ssh_keys_support import public_line

from .support import World, micro, refused, rub

DEBIAN, UBUNTU_VM, WINDOWS = 2, 4, 5
FEBRUARY = dt.datetime(2026, 2, 1, tzinfo=dt.UTC)  # the month after the world's start


def test_a_container_is_reinstalled_in_place_with_a_new_password(
    world: World, customer: Actor
) -> None:
    created = world.order(customer)  # Ubuntu 24.04, a container
    server = world.server(created.server.id)

    rebuilt = rebuild_server(world.rt, customer, RebuildServer(server.id, DEBIAN))

    after = world.server(server.id)
    assert world.action(rebuilt.action.id).status.value == "success"
    assert after.status is ServerStatus.RUNNING and after.image_id == DEBIAN
    assert after.placement == server.placement  # the same vmid, node, address, MAC and VLAN
    assert after.firewall == server.firewall
    vmid = after.placement.vmid
    assert vmid is not None
    assert rebuilt.root_password is not None and rebuilt.user == "root"
    assert world.hypervisor.password_of(vmid) == rebuilt.root_password
    assert rebuilt.root_password != created.root_password  # a fresh one
    guest = world.hypervisor.find_guest(vmid)
    assert guest is not None and guest.status == "running"
    assert f"server-{server.id}" in guest.tags


def test_its_snapshots_are_named_in_the_answer_and_gone(world: World, customer: Actor) -> None:
    server = world.running_server(customer)
    snapshots.create_snapshot(
        world.rt, customer, TakeSnapshot(server.id, SnapshotName("before-upgrade"))
    )

    rebuilt = rebuild_server(world.rt, customer, RebuildServer(server.id, DEBIAN))

    assert rebuilt.removed_snapshots == ("before-upgrade",)
    vmid = server.placement.vmid
    assert vmid is not None
    assert world.hypervisor.snapshots(server.placement.node or "", vmid) == []


def test_ssh_keys_instead_of_a_shown_password(world: World, customer: Actor) -> None:
    line = public_line(comment="")
    key = add_ssh_key(world.rt, customer, NewSshKey("laptop", line))
    server = world.running_server(customer)

    rebuilt = rebuild_server(world.rt, customer, RebuildServer(server.id, DEBIAN, (key.id,)))

    assert rebuilt.root_password is None
    vmid = server.placement.vmid
    assert vmid is not None
    assert world.hypervisor.ssh_keys_of(vmid) == (line,)


def test_a_container_cannot_become_a_virtual_machine(world: World, customer: Actor) -> None:
    server = world.running_server(customer)
    error = refused(
        world, Conflict, rebuild_server, world.rt, customer, RebuildServer(server.id, UBUNTU_VM)
    )
    assert error.details["reason"] == "guest_kind"


def test_an_unknown_image_or_someone_elses_server_is_refused(
    world: World, customer: Actor, stranger: Actor
) -> None:
    server = world.running_server(customer)
    refused(
        world,
        RuleViolation,
        rebuild_server,
        world.rt,
        customer,
        RebuildServer(server.id, 999),
        field="osId",
    )
    refused(world, NotFound, rebuild_server, world.rt, stranger, RebuildServer(server.id, DEBIAN))


def test_a_server_busy_with_another_action_is_locked(world: World, customer: Actor) -> None:
    server = world.running_server(customer)
    world.hold_jobs()
    server_commands.stop_server(world.rt, customer, OnServer(server.id))
    refused(world, Locked, rebuild_server, world.rt, customer, RebuildServer(server.id, DEBIAN))


def test_while_it_rebuilds_it_is_rebuilding_and_billed(world: World, customer: Actor) -> None:
    server = world.running_server(customer)
    world.hold_jobs()
    rebuild_server(world.rt, customer, RebuildServer(server.id, DEBIAN))
    assert world.server(server.id).status is ServerStatus.REBUILDING
    world.clock.advance(dt.timedelta(hours=3))
    world.run_jobs()
    assert world.server(server.id).status is ServerStatus.RUNNING
    usage = world.transactions(TxKind.USAGE, server_id=server.id)
    assert usage, "the hours it spent rebuilding were billed"


def vm(world: World, customer: Actor, os_id: int = UBUNTU_VM, cores: int = 2) -> Server:
    """A VM in Moscow: 2 cores, 4 GiB and 50 GiB cost 2.50 an hour; Windows adds 1.50."""
    return world.running_server(
        customer, os_id=os_id, location_id=1, cores=cores, memory=4096, disk=50
    )


def charges_of_run(world: World, server: Server, until: dt.datetime) -> list[int]:
    """The usage charges a billing run at `until` posts for the server, in segment order."""
    before = len(world.transactions(TxKind.USAGE, server_id=server.id))
    world.clock.set(until)
    billing_run(world.rt)
    return [tx.amount.micro for tx in world.transactions(TxKind.USAGE, server_id=server.id)][
        before:
    ]


def test_a_windows_licence_is_billed_from_the_next_month(world: World, customer: Actor) -> None:
    server = vm(world, customer)

    rebuild_server(world.rt, customer, RebuildServer(server.id, WINDOWS))

    after = world.server(server.id)
    assert after.image_id == WINDOWS
    assert world.hypervisor.user_of(after.placement.vmid or 0) == "Administrator"
    assert after.meter.hourly == server.meter.hourly == rub("2.50")
    assert after.meter.pending == PendingRate(rub("4.00"), rub("2920.00"), FEBRUARY)
    # The last hour of January at Linux's price; the first of February with the licence.
    assert charges_of_run(world, server, FEBRUARY - dt.timedelta(hours=1)) != []
    assert charges_of_run(world, server, FEBRUARY + dt.timedelta(hours=1)) == [
        micro("2.50"),
        micro("4.00"),
    ]
    billed = world.server(server.id).meter
    assert (billed.hourly, billed.monthly_cap, billed.pending) == (
        rub("4.00"),
        rub("2920.00"),
        None,
    )


def test_windows_to_linux_and_back_within_a_month_changes_nothing(
    world: World, customer: Actor
) -> None:
    server = vm(world, customer, os_id=WINDOWS)

    rebuild_server(world.rt, customer, RebuildServer(server.id, UBUNTU_VM))
    assert world.server(server.id).meter.pending == PendingRate(
        rub("2.50"), rub("1825.00"), FEBRUARY
    )
    rebuild_server(world.rt, customer, RebuildServer(server.id, WINDOWS))

    meter = world.server(server.id).meter
    assert (meter.hourly, meter.pending) == (rub("4.00"), None)
    charges_of_run(world, server, FEBRUARY - dt.timedelta(hours=1))
    assert charges_of_run(world, server, FEBRUARY + dt.timedelta(hours=1)) == [
        micro("4.00"),
        micro("4.00"),
    ]


def test_a_rebuild_onto_an_image_of_the_same_licence_leaves_the_price(
    world: World, customer: Actor
) -> None:
    server = vm(world, customer)
    rebuild_server(world.rt, customer, RebuildServer(server.id, WINDOWS))
    world.clock.set(FEBRUARY + dt.timedelta(days=3))
    rebuild_server(world.rt, customer, RebuildServer(server.id, WINDOWS))  # a reinstall
    meter = world.server(server.id).meter
    assert (meter.hourly, meter.pending) == (rub("4.00"), None)  # February took it up


def test_a_resize_after_the_rebuild_keeps_the_licence_for_the_next_month(
    world: World, customer: Actor
) -> None:
    """The resize prices 4 cores with the image the server runs now (Windows, 5.00 an hour), but
    the licence was promised from February: January goes on at 3.50, February starts at 5.00."""
    server = vm(world, customer)
    rebuild_server(world.rt, customer, RebuildServer(server.id, WINDOWS))
    world.clock.advance(dt.timedelta(hours=2))  # past the prepaid hour: nothing to hold

    server_commands.resize_server(world.rt, customer, ResizeServer(server.id, cores=Cores(4)))

    meter = world.server(server.id).meter
    assert (meter.hourly, meter.monthly_cap) == (rub("3.50"), rub("2555.00"))
    assert meter.pending == PendingRate(rub("5.00"), rub("3650.00"), FEBRUARY)
    charges_of_run(world, server, FEBRUARY - dt.timedelta(hours=1))
    assert charges_of_run(world, server, FEBRUARY + dt.timedelta(hours=1)) == [
        micro("3.50"),
        micro("5.00"),
    ]


def test_a_rerun_of_the_job_keeps_the_guest_it_made(world: World, customer: Actor) -> None:
    server = world.running_server(customer)
    world.hold_jobs()
    rebuilt = rebuild_server(world.rt, customer, RebuildServer(server.id, DEBIAN))
    [job] = world.jobs.pending
    world.run_jobs()
    guests = [g for g in world.hypervisor.guests_all() if f"server-{server.id}" in g.tags]
    world.jobs.pending.append(job)  # procrastinate's stalled-job recovery: the job again
    world.run_jobs()
    assert [g for g in world.hypervisor.guests_all() if f"server-{server.id}" in g.tags] == guests
    assert world.action(rebuilt.action.id).status.value == "success"
