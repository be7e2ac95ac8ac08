"""What the fake hypervisor adds beyond the port: durations, effects at task end, helpers."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from adapters.memory import FakeClock, FakeHypervisor
from domain.model.catalogue import GuestKind
from domain.model.errors import ExternalFailure, Locked
from ports.hypervisor import GuestSpec

from .builders import T0


def spec(vmid: int, kind: GuestKind = GuestKind.LXC, **kw) -> GuestSpec:
    fields = dict(
        kind=kind,
        vmid=vmid,
        hostname=f"srv-{vmid}",
        template="tmpl",
        cores=1,
        memory_mib=512,
        disk_gib=10,
        mac_address="02:48:50:00:00:01",
        vlan=100,
        ip_address="10.0.0.2/24",
        gateway="10.0.0.1",
        root_password="pw-0123456789",
    )
    fields.update(kw)
    return GuestSpec(**fields)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def hv(clock) -> FakeHypervisor:
    h = FakeHypervisor(clock)
    h.add_node(1, "pve1", cores=8, memory_mib=8192, disk_gib=100)
    return h


def test_effects_appear_when_the_task_ends_on_the_clock(hv, clock):
    ref = hv.create_guest("pve1", spec(100))
    assert hv.find_guest(100) is None
    clock.advance(29)
    assert hv.task(ref).running and hv.find_guest(100) is None
    clock.advance(1)
    assert hv.task(ref).ok and hv.find_guest(100).status == "stopped"
    start = hv.start("pve1", 100)
    assert hv.find_guest(100).status == "stopped"
    hv.wait(start)
    assert clock.now() == T0 + dt.timedelta(seconds=35)  # wait advanced the fake clock
    assert hv.find_guest(100).status == "running"


def test_qemu_guests_are_cloned_and_take_the_clone_duration(hv, clock):
    hv.add_template("pve1", 9000, "ubuntu-24.04-cloud")
    ref = hv.create_guest("pve1", spec(100, GuestKind.QEMU, template="9000"))
    assert ":qmclone:100:" in ref.upid
    hv.wait(ref)
    assert clock.now() == T0 + dt.timedelta(seconds=60)
    assert [g.vmid for g in hv.guests_all()] == [100]  # the template is no guest of ours
    assert [t.ref for t in hv.templates("pve1")] == ["9000"]
    assert hv.nodes(1)[0].used_memory_mib == 512  # templates reserve nothing


def test_durations_are_configurable_and_zero_ends_at_once():
    hv = FakeHypervisor(FakeClock(T0), durations={"create": 0, "start": 0})
    hv.add_node(1, "pve1")
    ref = hv.create_guest("pve1", spec(100))
    assert hv.task(ref).ok and hv.find_guest(100) is not None
    hv.start("pve1", 100)
    assert hv.find_guest(100).status == "running"


def test_wait_sleeps_on_a_clock_without_advance():
    class Wall:
        def now(self) -> dt.datetime:
            return dt.datetime.now(dt.UTC)

    slept: list[float] = []
    hv = FakeHypervisor(Wall(), durations={"create": 0.01}, sleep=slept.append)
    hv.add_node(1, "pve1")
    ref = hv.create_guest("pve1", spec(100))
    time.sleep(0.02)
    assert hv.wait(ref).ok
    hv2 = FakeHypervisor(Wall(), durations={"create": 0.01})
    hv2.add_node(1, "pve1")
    assert hv2.wait(hv2.create_guest("pve1", spec(100))).ok


def test_call_log_seed_usage_and_password(hv):
    hv.seed_guest("pve1", 200, status="running", memory_mib=1024, tags=("orphan",))
    hv.set_usage(200, cpu=0.95, memory_used=1000, disk_used=5)
    stats = hv.stats("pve1", 200)
    assert (stats.cpu, stats.memory_used, stats.disk_used) == (0.95, 1000, 5)
    hv.wait(hv.stop("pve1", 200))
    hv.wait(hv.set_password("pve1", 200, "another-pass-1"))
    assert hv.password_of(200) == "another-pass-1"
    assert hv.call_log == [("stop", 200), ("set_password", 200)]
    hv.remove_guest(200)
    assert hv.guest(200) is None


def test_fail_next_several_times_then_it_works(hv):
    hv.wait(hv.create_guest("pve1", spec(100)))
    hv.fail_next("start", times=2, message="boom")
    for _ in range(2):
        with pytest.raises(ExternalFailure, match="boom"):
            hv.wait(hv.start("pve1", 100))
    hv.wait(hv.start("pve1", 100))


def test_an_in_task_fault_waits_for_a_call_that_creates_a_task(hv):
    hv.wait(hv.create_guest("pve1", spec(100)))
    ref = hv.start("pve1", 100)
    hv.fail_next("stop")
    with pytest.raises(Locked):
        hv.stop("pve1", 100)  # refused before any task: the fault is still armed
    hv.wait(ref)
    with pytest.raises(ExternalFailure):
        hv.wait(hv.stop("pve1", 100))
    assert hv.find_guest(100).status == "running"


def test_start_of_a_running_guest_is_a_no_op_task(hv):
    hv.wait(hv.create_guest("pve1", spec(100)))
    hv.wait(hv.start("pve1", 100))
    assert hv.wait(hv.start("pve1", 100)).ok
    assert hv.find_guest(100).status == "running"


def test_rollback_keeps_the_power_state(hv):
    hv.wait(hv.create_guest("pve1", spec(100)))
    hv.wait(hv.create_snapshot("pve1", 100, "s", ""))
    hv.wait(hv.start("pve1", 100))
    hv.wait(hv.rollback("pve1", 100, "s"))
    assert hv.find_guest(100).status == "running"


def test_fail_next_names_a_known_operation(hv):
    with pytest.raises(ValueError):
        hv.fail_next("teleport")
