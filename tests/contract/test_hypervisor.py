"""Hypervisor: tasks, the one-task-per-guest lock, capacity, failures, snapshots, console."""

from __future__ import annotations

import re

import pytest

from domain.model.catalogue import GuestKind, ServerConfig
from domain.model.errors import (
    AlreadyExists,
    CapacityExhausted,
    Conflict,
    ExternalFailure,
    Locked,
    NotFound,
    Unavailable,
    ValidationError,
)
from domain.model.placement import Overcommit, fits
from ports.hypervisor import TemplateInfo

from .conftest import LOCATION, NODE, OSTEMPLATE, HypervisorRig

UPID = re.compile(
    r"^UPID:([a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?):([0-9A-Fa-f]{8}):([0-9A-Fa-f]{8,9}):"
    r"([0-9A-Fa-f]{8}):([^:\s/]+):([^:\s/]*):([^:\s/]+):$"
)


def test_a_create_task_runs_then_the_guest_exists_stopped(hypervisor: HypervisorRig):
    hv = hypervisor.hv
    ref = hv.create_guest(NODE, hypervisor.spec(100, tags=("hostprovider", "server-1")))
    assert ref.node == NODE and UPID.match(ref.upid)
    assert hv.task(ref).running
    state = hv.wait(ref)
    assert state.ok and not hv.task(ref).running
    guest = hv.find_guest(100)
    assert guest is not None
    assert (guest.node, guest.kind, guest.status, guest.name) == (
        NODE,
        GuestKind.LXC,
        "stopped",
        "srv-100",
    )
    assert (guest.cores, guest.memory_mib, guest.disk_gib) == (1, 1024, 10)
    assert "server-1" in guest.tags
    assert [g.vmid for g in hv.guests(LOCATION)] == [100]


def test_find_guest_never_raises_for_a_missing_guest(hypervisor: HypervisorRig):
    assert hypervisor.hv.find_guest(4242) is None


def test_start_and_stop_change_the_power_state(hypervisor: HypervisorRig):
    hv = hypervisor.hv
    hypervisor.running(100)
    assert hv.find_guest(100).status == "running"
    hv.wait(hv.shutdown(NODE, 100))
    assert hv.find_guest(100).status == "stopped"
    hv.wait(hv.start(NODE, 100))
    hv.wait(hv.reboot(NODE, 100))
    assert hv.find_guest(100).status == "running"
    hv.wait(hv.stop(NODE, 100))
    assert hv.find_guest(100).status == "stopped"


def test_a_second_operation_while_a_task_runs_is_locked(hypervisor: HypervisorRig):
    hv = hypervisor.hv
    hypervisor.created(100)
    ref = hv.start(NODE, 100)
    with pytest.raises(Locked):
        hv.stop(NODE, 100)
    with pytest.raises(Locked):
        hv.create_snapshot(NODE, 100, "s1", "")
    hv.wait(ref)
    hv.wait(hv.stop(NODE, 100))  # free again once the task ended


def test_creating_on_a_vmid_being_created_is_refused(hypervisor: HypervisorRig):
    hv = hypervisor.hv
    hv.create_guest(NODE, hypervisor.spec(100))
    with pytest.raises((Locked, AlreadyExists)):
        hv.create_guest(NODE, hypervisor.spec(100))
    assert hv.next_vmid() == 101


def test_a_taken_vmid_is_already_exists(hypervisor: HypervisorRig):
    hypervisor.created(100)
    with pytest.raises(AlreadyExists):
        hypervisor.hv.create_guest(NODE, hypervisor.spec(100))


def test_next_vmid_is_free_but_not_reserved(hypervisor: HypervisorRig):
    hv = hypervisor.hv
    first = hv.next_vmid()
    assert first >= 100 and hv.next_vmid() == first
    hypervisor.created(first)
    assert hv.next_vmid() != first


def test_a_node_without_room_refuses_the_guest(hypervisor: HypervisorRig):
    hv = hypervisor.hv
    hypervisor.add_node(LOCATION, "small", cores=2, memory_mib=2048, disk_gib=30)
    hypervisor.created(100, node="small", memory_mib=1536, disk_gib=10)
    with pytest.raises(CapacityExhausted):
        hv.create_guest("small", hypervisor.spec(101, memory_mib=1024, disk_gib=10))
    with pytest.raises(CapacityExhausted):
        hv.create_guest("small", hypervisor.spec(101, memory_mib=256, disk_gib=25))
    hypervisor.created(101, node="small", memory_mib=512, disk_gib=20)


# Orders on a node of 2 cores, 4096 MiB and 100 GiB that already carries 6 cores, 3072 MiB and
# 60 GiB, with placement's default overcommit (cores x4, memory and disk never), and whether
# placement would put them there. Both hypervisors must answer as placement does: the sandbox and
# production take the same orders.
ORDERS_ON_A_LOADED_NODE = [
    ((2, 1024, 40), True),  # every resource to the last unit, cores at 8 = 2 x 400 %
    ((3, 512, 10), False),  # one core more than four times the node's
    ((1, 1025, 10), False),  # one MiB more than the node has
    ((1, 512, 41), False),  # one GiB more than the storage has
]


@pytest.mark.parametrize(("order", "placement_takes_it"), ORDERS_ON_A_LOADED_NODE)
def test_room_for_a_guest_is_placement_s_rule(
    hypervisor: HypervisorRig, order: tuple[int, int, int], placement_takes_it: bool
):
    hv = hypervisor.hv
    hypervisor.add_node(LOCATION, "small", cores=2, memory_mib=4096, disk_gib=100)
    hypervisor.created(100, node="small", cores=6, memory_mib=3072, disk_gib=60)
    load = next(n for n in hv.nodes(LOCATION) if n.name == "small")
    assert fits(load, ServerConfig(*order), Overcommit()) is placement_takes_it
    cores, memory_mib, disk_gib = order
    spec = hypervisor.spec(101, cores=cores, memory_mib=memory_mib, disk_gib=disk_gib)
    if placement_takes_it:
        hv.wait(hv.create_guest("small", spec))
        assert hv.find_guest(101) is not None
    else:
        with pytest.raises(CapacityExhausted):
            hv.create_guest("small", spec)
        assert hv.find_guest(101) is None


def test_growth_needs_room_for_what_grows_by_placement_s_rule(hypervisor: HypervisorRig):
    hv = hypervisor.hv
    hypervisor.add_node(LOCATION, "small", cores=2, memory_mib=4096, disk_gib=100)
    hypervisor.created(100, node="small", cores=4, memory_mib=2048, disk_gib=50)
    hypervisor.created(101, node="small", cores=3, memory_mib=1024, disk_gib=30)
    with pytest.raises(CapacityExhausted):  # 9 cores where 8 may be promised
        hv.resize("small", 100, cores=6, memory_mib=2048, disk_gib=50)
    with pytest.raises(CapacityExhausted):
        hv.reconfigure("small", 101, hypervisor.spec(101, cores=5, disk_gib=30))
    with pytest.raises(CapacityExhausted):  # memory and disk to the unit
        hv.resize("small", 101, cores=3, memory_mib=2049, disk_gib=30)
    with pytest.raises(CapacityExhausted):
        hv.resize("small", 101, cores=3, memory_mib=1024, disk_gib=51)
    # Fewer cores leave room for more memory; the guest's own share is already counted.
    hv.wait(hv.resize("small", 100, cores=2, memory_mib=3072, disk_gib=70))
    hv.wait(hv.resize("small", 101, cores=6, memory_mib=1024, disk_gib=30))
    sizes = {g: hv.find_guest(g) for g in (100, 101)}
    assert [(i.cores, i.memory_mib, i.disk_gib) for i in sizes.values()] == [
        (2, 3072, 70),
        (6, 1024, 30),
    ]


def test_nodes_report_capacity_and_what_guests_reserve(hypervisor: HypervisorRig):
    hv = hypervisor.hv
    hypervisor.add_node(LOCATION, "pve2", cores=4, memory_mib=8192, disk_gib=100)
    hypervisor.add_node(LOCATION + 1, "elsewhere", cores=4, memory_mib=8192, disk_gib=100)
    hypervisor.running(100, cores=2, memory_mib=2048, disk_gib=20)
    hypervisor.created(101, cores=1, memory_mib=512, disk_gib=10)
    loads = {n.name: n for n in hv.nodes(LOCATION)}
    assert set(loads) == {NODE, "pve2"}
    pve1 = loads[NODE]
    assert pve1.online
    assert (pve1.cores, pve1.memory_mib, pve1.disk_gib) == (8, 16384, 200)
    assert (pve1.used_cores, pve1.used_memory_mib, pve1.used_disk_gib) == (3, 2560, 30)
    assert (loads["pve2"].used_cores, loads["pve2"].used_memory_mib) == (0, 0)


def test_an_offline_node_is_unavailable(hypervisor: HypervisorRig):
    hv = hypervisor.hv
    hypervisor.running(100)
    hypervisor.set_node_online(NODE, False)
    assert [n.online for n in hv.nodes(LOCATION)] == [False]
    with pytest.raises(Unavailable):
        hv.create_guest(NODE, hypervisor.spec(101))
    with pytest.raises(Unavailable):
        hv.stop(NODE, 100)
    hypervisor.set_node_online(NODE, True)
    hv.wait(hv.stop(NODE, 100))


def test_an_unknown_node_or_guest_is_not_found(hypervisor: HypervisorRig):
    hv = hypervisor.hv
    with pytest.raises(NotFound):
        hv.create_guest("nowhere", hypervisor.spec(100))
    with pytest.raises(NotFound):
        hv.start(NODE, 999)
    with pytest.raises(NotFound):
        hv.stats(NODE, 999)


def test_a_failed_task_raises_from_wait_and_leaves_the_guest_as_it_was(hypervisor: HypervisorRig):
    hv = hypervisor.hv
    hypervisor.created(100)
    hypervisor.fail_next("start", message="startup for container '100' failed")
    ref = hv.start(NODE, 100)
    with pytest.raises(ExternalFailure, match="startup for container '100' failed"):
        hv.wait(ref)
    state = hv.task(ref)
    assert (
        not state.running
        and not state.ok
        and state.exit_status == "startup for container '100' failed"
    )
    assert hv.find_guest(100).status == "stopped"
    hv.wait(hv.start(NODE, 100))  # the next attempt works
    assert hv.find_guest(100).status == "running"


def test_a_failed_create_leaves_no_guest(hypervisor: HypervisorRig):
    hv = hypervisor.hv
    hypervisor.fail_next("create")
    with pytest.raises(ExternalFailure):
        hv.wait(hv.create_guest(NODE, hypervisor.spec(100)))
    assert hv.find_guest(100) is None
    assert sum(n.used_memory_mib for n in hv.nodes(LOCATION)) == 0
    hypervisor.created(100)


def test_an_immediate_failure_raises_at_the_call(hypervisor: HypervisorRig):
    hv = hypervisor.hv
    hypervisor.created(100)
    hypervisor.fail_next("start", immediate=True)
    with pytest.raises(ExternalFailure):
        hv.start(NODE, 100)
    assert hv.find_guest(100).status == "stopped"
    hypervisor.fail_next("start", error=Unavailable("proxmox is down"))
    with pytest.raises(Unavailable):
        hv.start(NODE, 100)
    hv.wait(hv.start(NODE, 100))


def test_resize_grows_and_refuses_to_shrink_the_disk(hypervisor: HypervisorRig):
    hv = hypervisor.hv
    hypervisor.created(100, disk_gib=20)
    with pytest.raises(ValidationError) as refused:
        hv.resize(NODE, 100, cores=2, memory_mib=2048, disk_gib=10)
    assert refused.value.field == "disk"
    hv.wait(hv.resize(NODE, 100, cores=2, memory_mib=2048, disk_gib=30))
    guest = hv.find_guest(100)
    assert (guest.cores, guest.memory_mib, guest.disk_gib) == (2, 2048, 30)


def test_snapshots_create_list_rollback_delete(hypervisor: HypervisorRig):
    hv = hypervisor.hv
    hypervisor.created(100, cores=1, memory_mib=1024, disk_gib=10)
    hv.wait(hv.create_snapshot(NODE, 100, "before", "before the upgrade"))
    (snap,) = hv.snapshots(NODE, 100)
    assert (snap.name, snap.description) == ("before", "before the upgrade")
    assert snap.created_at is None or snap.created_at.tzinfo is not None
    hv.wait(hv.resize(NODE, 100, cores=2, memory_mib=2048, disk_gib=20))
    hv.wait(hv.rollback(NODE, 100, "before"))
    guest = hv.find_guest(100)
    assert (guest.cores, guest.memory_mib) == (1, 1024)
    hv.wait(hv.delete_snapshot(NODE, 100, "before"))
    assert hv.snapshots(NODE, 100) == []


def test_a_snapshot_name_already_used_fails(hypervisor: HypervisorRig):
    hv = hypervisor.hv
    hypervisor.created(100)
    hv.wait(hv.create_snapshot(NODE, 100, "s1", ""))
    with pytest.raises(ExternalFailure, match="already"):
        hv.wait(hv.create_snapshot(NODE, 100, "s1", ""))
    assert [s.name for s in hv.snapshots(NODE, 100)] == ["s1"]


def test_destroy_needs_a_stopped_guest_and_then_it_is_gone(hypervisor: HypervisorRig):
    hv = hypervisor.hv
    hypervisor.running(100)
    with pytest.raises(Conflict):
        hv.destroy(NODE, 100)
    hv.wait(hv.stop(NODE, 100))
    hv.wait(hv.destroy(NODE, 100))
    assert hv.find_guest(100) is None
    with pytest.raises(NotFound):
        hv.destroy(NODE, 100)


def test_set_password_is_a_task(hypervisor: HypervisorRig):
    hv = hypervisor.hv
    hypervisor.running(100)
    assert hv.wait(hv.set_password(NODE, 100, "New-secret-pass-1")).ok


def test_console_for_a_running_guest(hypervisor: HypervisorRig):
    hv = hypervisor.hv
    hypervisor.created(100)
    with pytest.raises(Conflict):
        hv.console(NODE, 100)
    hv.wait(hv.start(NODE, 100))
    ticket = hv.console(NODE, 100)
    assert "console=lxc" in ticket.url and "vmid=100" in ticket.url and f"node={NODE}" in ticket.url
    assert ticket.ticket and 5900 <= ticket.port <= 5999
    assert ticket.expires_at > hypervisor.clock.now()
    with pytest.raises(NotFound):
        hv.console(NODE, 999)


def test_stats_of_running_guests(hypervisor: HypervisorRig):
    hv = hypervisor.hv
    hypervisor.running(100, memory_mib=1024, disk_gib=10)
    hypervisor.created(101)
    hypervisor.advance(120)
    stats = hv.stats(NODE, 100)
    assert stats.vmid == 100 and stats.status == "running"
    assert stats.memory_max == 1024 * 1024 * 1024 and stats.disk_max == 10 * 1024**3
    assert 0 <= stats.cpu <= 1 and 0 <= stats.memory_used <= stats.memory_max
    assert stats.uptime >= 120
    assert {s.vmid: s.status for s in hv.all_stats()} == {100: "running", 101: "stopped"}
    points = hv.rrd(NODE, 100)
    assert points and all(p.time <= int(hypervisor.clock.now().timestamp()) for p in points)


def test_task_of_an_unknown_upid_is_not_found(hypervisor: HypervisorRig):
    from ports.hypervisor import TaskRef

    with pytest.raises(NotFound):
        hypervisor.hv.task(
            TaskRef(NODE, "UPID:pve1:00000001:00000001:00000001:vzstart:100:root@pam:")
        )


def test_reconfigure_makes_a_stopped_guest_match_a_new_spec(hypervisor: HypervisorRig):
    hv = hypervisor.hv
    hypervisor.created(100, hostname="pool-100", tags=("hostprovider", "pool"), disk_gib=10)
    order = hypervisor.spec(
        999,  # ignored: the guest keeps its vmid
        hostname="srv-7",
        cores=2,
        memory_mib=2048,
        disk_gib=20,
        mac_address="02:48:50:00:00:07",
        vlan=107,
        ip_address="10.20.7.5/24",
        gateway="10.20.7.1",
        root_password="Other-pass-456",
        tags=("hostprovider", "server-7"),
    )
    hv.wait(hv.reconfigure(NODE, 100, order))
    guest = hv.find_guest(100)
    assert (guest.vmid, guest.name, guest.status) == (100, "srv-7", "stopped")
    assert (guest.cores, guest.memory_mib, guest.disk_gib) == (2, 2048, 20)
    assert "server-7" in guest.tags and "pool" not in guest.tags
    with pytest.raises(ValidationError) as refused:
        hv.reconfigure(NODE, 100, hypervisor.spec(100, disk_gib=10))
    assert refused.value.field == "disk"
    with pytest.raises(NotFound):
        hv.reconfigure(NODE, 4242, order)
    hv.wait(hv.start(NODE, 100))
    with pytest.raises(Conflict):
        hv.reconfigure(NODE, 100, order)
    assert hv.find_guest(100).disk_gib == 20


def test_templates_are_what_a_node_can_create_from(hypervisor: HypervisorRig):
    hv = hypervisor.hv
    hypervisor.add_node(LOCATION, "pve2", cores=8, memory_mib=16384, disk_gib=200)
    debian = "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst"
    hypervisor.add_ostemplate("pve2", debian)
    hypervisor.add_template("pve2", 9000, "tpl-ubuntu-22.04")
    hypervisor.add_template(NODE, 9001, "tpl-ubuntu-22.04")  # the node-local copy
    hypervisor.created(100)  # an ordinary guest is nothing to create from

    assert set(hv.templates("pve2")) == {
        TemplateInfo(GuestKind.LXC, OSTEMPLATE, OSTEMPLATE),
        TemplateInfo(GuestKind.LXC, debian, debian),
        TemplateInfo(GuestKind.QEMU, "9000", "tpl-ubuntu-22.04"),
    }
    assert set(hv.templates(NODE)) == {
        TemplateInfo(GuestKind.LXC, OSTEMPLATE, OSTEMPLATE),
        TemplateInfo(GuestKind.QEMU, "9001", "tpl-ubuntu-22.04"),
    }


def test_templates_of_an_unknown_node_are_not_found(hypervisor: HypervisorRig):
    with pytest.raises(NotFound):
        hypervisor.hv.templates("pve-nowhere")
