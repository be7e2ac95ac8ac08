"""What the fake hypervisor keeps: nodes, guests, tasks; and how it names and measures them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import attrs

from domain.model.catalogue import GuestKind
from ports.hypervisor import GuestInfo, GuestSpec, GuestStats, RrdPoint, SnapshotInfo, TaskRef

MIB = 1024 * 1024
GIB = 1024 * MIB
FIRST_VMID = 100
UPID_USER = "root@pam!hostprovider"

# Seconds each operation's task takes on the clock; a QEMU guest is created by cloning a template.
DEFAULT_DURATIONS: dict[str, float] = {
    "create": 30,
    "clone": 60,
    "start": 5,
    "shutdown": 5,
    "stop": 2,
    "reboot": 5,
    "resize": 2,
    "snapshot": 3,
    "rollback": 5,
    "delete_snapshot": 2,
    "set_password": 2,
    "reconfigure": 2,
    "destroy": 5,
}

# Proxmox worker types, by operation and guest kind (they appear in the UPID).
_TASK_TYPES: dict[str, tuple[str, str]] = {
    "create": ("vzcreate", "qmclone"),
    "start": ("vzstart", "qmstart"),
    "shutdown": ("vzshutdown", "qmshutdown"),
    "stop": ("vzstop", "qmstop"),
    "reboot": ("vzreboot", "qmreboot"),
    "resize": ("resize", "resize"),
    "snapshot": ("vzsnapshot", "qmsnapshot"),
    "rollback": ("vzrollback", "qmrollback"),
    "delete_snapshot": ("vzdelsnapshot", "qmdelsnapshot"),
    "set_password": ("vzexec", "qmconfig"),
    "reconfigure": ("resize", "qmconfig"),
    "destroy": ("vzdestroy", "qmdestroy"),
}


# The operations whose progress Proxmox tells in its task log (a clone's copy, a create's and a
# resize's stages): the fake tells it too, as the share of the task's time gone by.
REPORTS_PROGRESS = frozenset({"create", "resize"})

# What `fail_next` accepts: every operation that starts a task, and the console.
FAULTABLE = frozenset(_TASK_TYPES) | {"console"}


def task_type(operation: str, kind: GuestKind) -> str:
    lxc, qemu = _TASK_TYPES[operation]
    return lxc if kind is GuestKind.LXC else qemu


def upid(node: str, pid: int, pstart: int, started: dt.datetime, kind: str, vmid: int) -> str:
    epoch = int(started.timestamp())
    return f"UPID:{node}:{pid:08X}:{pstart:08X}:{epoch:08X}:{kind}:{vmid}:{UPID_USER}:"


@attrs.define
class Node:
    location_id: int
    name: str
    cores: int
    memory_mib: int
    disk_gib: int
    online: bool = True
    ostemplates: set[str] = attrs.field(factory=set)  # LXC container template volume ids


@attrs.frozen
class Snapshot:
    info: SnapshotInfo
    cores: int
    memory_mib: int
    disk_gib: int


@attrs.define
class Guest:
    node: str
    vmid: int
    kind: GuestKind
    name: str
    cores: int
    memory_mib: int
    disk_gib: int
    status: str = "stopped"
    template: bool = False
    tags: tuple[str, ...] = ()
    password: str | None = None
    user: str = "root"  # whose password `password` is
    ssh_keys: tuple[str, ...] = ()  # root's authorized keys, as the spec gave them
    started_at: dt.datetime | None = None
    snapshots: dict[str, Snapshot] = attrs.field(factory=dict)
    usage: dict[str, float] = attrs.field(factory=dict)  # set by tests: cpu, memory_used, disk_used

    @classmethod
    def of(cls, node: str, spec: GuestSpec) -> Guest:
        """The guest a create makes from `spec` (stopped)."""
        return cls(
            node,
            spec.vmid,
            spec.kind,
            spec.hostname,
            spec.cores,
            spec.memory_mib,
            spec.disk_gib,
            tags=tuple(spec.tags),
            password=spec.root_password,
            user=spec.user or "root",
            ssh_keys=spec.ssh_keys,
        )

    def info(self) -> GuestInfo:
        return GuestInfo(
            node=self.node,
            vmid=self.vmid,
            kind=self.kind,
            name=self.name,
            status=self.status,
            cores=self.cores,
            memory_mib=self.memory_mib,
            disk_gib=self.disk_gib,
            template=self.template,
            tags=self.tags,
        )

    def power(self, running: bool, now: dt.datetime) -> None:
        if running and self.status != "running":
            self.started_at = now
        elif not running:
            self.started_at = None
        self.status = "running" if running else "stopped"

    def stats(self, now: dt.datetime) -> GuestStats:
        running = self.status == "running"
        uptime = int((now - self.started_at).total_seconds()) if running and self.started_at else 0
        memory_max, disk_max = self.memory_mib * MIB, self.disk_gib * GIB
        return GuestStats(
            vmid=self.vmid,
            status=self.status,
            uptime=uptime,
            cpu=float(self.usage.get("cpu", 0.05)) if running else 0.0,
            memory_used=int(self.usage.get("memory_used", memory_max // 4)) if running else 0,
            memory_max=memory_max,
            disk_used=int(self.usage.get("disk_used", disk_max // 10)),
            disk_max=disk_max,
            net_in=uptime * 1200,
            net_out=uptime * 800,
            disk_read=uptime * 4096,
            disk_write=uptime * 2048,
        )

    def rrd(self, now: dt.datetime, points: int = 5) -> list[RrdPoint]:
        figures = self.stats(now)
        running = figures.status == "running"
        end = int(now.timestamp()) // 60 * 60
        return [
            RrdPoint(
                time=end - 60 * (points - 1 - i),
                cpu=figures.cpu,
                memory_used=figures.memory_used,
                net_in=1200.0 if running else 0.0,
                net_out=800.0 if running else 0.0,
            )
            for i in range(points)
        ]


@attrs.define
class Task:
    ref: TaskRef
    operation: str
    vmid: int
    ends_at: dt.datetime
    failure: str | None = None  # the exit status when the task is to fail
    effect: Callable[[], None] | None = None  # applied when the task ends OK
    creates: Guest | None = None  # a guest being created: reserves its vmid and room meanwhile
    settled: bool = False
    started_at: dt.datetime | None = None

    @property
    def exit_status(self) -> str:
        return self.failure if self.failure is not None else "OK"
