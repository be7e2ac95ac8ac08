"""A running task's progress as its PVE log tells it, read from the simulator, whose workers print
what PVE 8.4's print (simulators/proxmox/worker_logs.py): a QEMU clone's "transferred" lines, an
LXC create's and a resize's stages. The log is read from where the last poll stopped, and the
progress never decides how a task ends."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from adapters.memory import FakeClock
from adapters.proxmox.client import ProxmoxClient
from adapters.proxmox.config import ProxmoxConnection, ProxmoxSite
from adapters.proxmox.hypervisor import ProxmoxHypervisor
from adapters.proxmox.task_log import percent_of
from domain.model.catalogue import GuestKind
from domain.model.errors import ExternalFailure
from simulators.proxmox.simulator import ProxmoxSimulator

from .conftest import NODE, OSTEMPLATE, QEMU_TEMPLATE, NodeShell, OnSimulator

TASK_SECONDS = 20  # long enough for a poll a second to see the log grow


@pytest.fixture
def slow() -> Iterator[OnSimulator]:
    clock = FakeClock(dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC))
    with ProxmoxSimulator(clock, task_seconds=TASK_SECONDS) as simulator:
        simulator.add_node(NODE, cores=8, memory_mib=16384, disk_gib=200)
        simulator.add_ostemplate(NODE, OSTEMPLATE)
        simulator.add_template(NODE, QEMU_TEMPLATE, "ubuntu-2404-cloud", disk_gib=8)
        sites = {1: ProxmoxSite((NODE,), "local-lvm", "vmbr0")}
        connection = ProxmoxConnection(simulator.url, simulator.token_id, simulator.token_secret)
        client = ProxmoxClient(connection, sleep=clock.advance)
        hv = ProxmoxHypervisor(client, sites, clock=clock, sleep=clock.advance)
        yield OnSimulator(simulator, hv, clock, NodeShell(simulator), sites)
        assert simulator.violations == []


def log_requests(pve: OnSimulator) -> list[str]:
    return [path for _, path in pve.simulator.requests if path.endswith("/log")]


def rising(told: list[int]) -> bool:
    return len(told) >= 3 and told == sorted(set(told)) and told[0] >= 0 and told[-1] <= 100


def test_a_qemu_clone_tells_what_qemu_img_has_copied(slow: OnSimulator):
    spec = slow.spec(200, kind=GuestKind.QEMU, template=str(QEMU_TEMPLATE), disk_gib=20)
    told: list[int] = []

    slow.hv.wait(slow.hv.create_guest(NODE, spec), told.append)

    assert rising(told) and told[-1] >= 90
    clone = next(u for u in slow.simulator.cluster.tasks if ":qmclone:" in u)
    lines = slow.simulator.cluster.tasks[clone].lines
    assert "transferred 0.0 B of 8.0 GiB (0.00%)" in lines
    assert "transferred 8.0 GiB of 8.0 GiB (100.00%)" in lines
    assert lines[0] == "create full clone of drive ide2 (local-lvm:vm-9000-cloudinit)"


class RecordingClient(ProxmoxClient):
    """The client, keeping the parameters of each task log read."""

    log_reads: list[dict[str, object]]

    def get(self, path: str, **params: object) -> Any:
        if path.endswith("/log"):
            self.log_reads.append(params)
        return super().get(path, **params)


def test_the_log_is_read_on_from_where_the_last_poll_stopped(slow: OnSimulator):
    client = RecordingClient(slow.hv._client.connection, sleep=slow.clock.advance)
    client.log_reads = []
    hv = ProxmoxHypervisor(client, slow.sites, clock=slow.clock, sleep=slow.clock.advance)
    spec = slow.spec(200, kind=GuestKind.QEMU, template=str(QEMU_TEMPLATE))

    hv.wait(hv.create_guest(NODE, spec), lambda percent: None)

    starts = [int(str(read["start"])) for read in client.log_reads]
    assert len(starts) >= 3 and starts == sorted(starts) and starts[-1] > 0
    clone = next(u for u in slow.simulator.cluster.tasks if ":qmclone:" in u)
    assert starts[-1] <= len(slow.simulator.cluster.tasks[clone].lines)


def test_an_lxc_create_tells_its_stages(slow: OnSimulator):
    told: list[int] = []

    slow.hv.wait(slow.hv.create_guest(NODE, slow.spec(201)), told.append)

    assert rising(told)
    create = next(u for u in slow.simulator.cluster.tasks if ":vzcreate:" in u)
    lines = slow.simulator.cluster.tasks[create].lines
    assert any(line.startswith("Total bytes read: ") for line in lines)
    assert "extracting archive '/var/lib/vz/template/cache/" in "\n".join(lines)


def test_a_resize_tells_its_stages(slow: OnSimulator):
    slow.hv.wait(slow.hv.create_guest(NODE, slow.spec(202)))
    told: list[int] = []

    slow.hv.wait(slow.hv.resize(NODE, 202, cores=2, memory_mib=2048, disk_gib=20), told.append)

    assert rising(told)
    assert slow.simulator.guest(202)["disk_gib"] == 20


def test_a_task_that_dies_midway_fails_as_before(slow: OnSimulator):
    spec = slow.spec(203, kind=GuestKind.QEMU, template=str(QEMU_TEMPLATE))
    ref = slow.hv.create_guest(NODE, spec)
    told: list[int] = []

    def kill_at_a_third(percent: int) -> None:
        told.append(percent)
        if percent > 30:
            with slow.simulator.cluster.lock:
                slow.simulator.cluster.kill(slow.simulator.cluster.tasks[ref.upid])

    with pytest.raises(ExternalFailure, match="interrupted by signal"):
        slow.hv.wait(ref, kill_at_a_third)
    assert told and told[-1] < 100
    assert slow.simulator.guest(203) is None


def test_a_task_whose_log_says_nothing_has_no_progress(slow: OnSimulator):
    slow.hv.wait(slow.hv.create_guest(NODE, slow.spec(204)))
    ref = slow.hv.start(NODE, 204)

    assert slow.hv.progress(ref) is None
    assert log_requests(slow) == []  # a start's log is not even read


@pytest.mark.parametrize(
    ("task", "line", "percent"),
    [
        ("qmclone", "transferred 2.0 GiB of 8.0 GiB (25.00%)", 25),
        ("qmclone", "transferred 330.2 MiB of 32.0 GiB (1.01%)", 1),
        ("qmclone", "drive-scsi0: transferred 4.0 GiB of 8.0 GiB (50.00%) in 7s", 50),
        ("qmclone", "drive-scsi0: transferred 8.0 GiB of 8.0 GiB (100.00%) in 15s, ready", 100),
        ("qmclone", "create full clone of drive scsi0 (local-lvm:base-9000-disk-0)", None),
        ("qmclone", "migration active, transferred 1.0 GiB of 4.0 GiB VM-state, 100 MiB/s", None),
        ("vzclone", "create full clone of mountpoint rootfs (local-lvm:vm-101-disk-0)", 5),
        ("vzclone", "Number of files: 23,456 (reg: 18,000, dir: 3,000, link: 2,456)", 90),
        ("vzcreate", "Total bytes read: 524288000 (500MiB, 94MiB/s)", 85),
        (
            "resize",
            "  Size of logical volume pve/vm-100-disk-0 changed from 10.00 GiB (2560 extents) "
            "to 20.00 GiB (5120 extents).",
            40,
        ),
        ("resize", "The filesystem on /dev/loop0 is now 5242880 (4k) blocks long.", 95),
        ("qmstart", "Total bytes read: 1", None),
    ],
)
def test_what_a_log_line_tells(task: str, line: str, percent: int | None):
    assert percent_of(task, line) == percent
