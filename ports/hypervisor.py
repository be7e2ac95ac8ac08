"""The Hypervisor port: guests on a virtualization cluster (Proxmox VE in the real adapter).

Operations that change a guest are asynchronous on real systems: they return a TaskRef at once, and
`wait` blocks until the task ends. Promises every adapter keeps:

- One task per guest at a time: starting a second while one runs raises `Locked`.
- A failed task raises `ExternalFailure` from `wait` with the task's exit status in the message.
- A running task's progress is a percentage 0-100 where the hypervisor reports one (a clone, a
  resize), None where it says nothing; it never decides whether a task failed.
- A missing guest or node raises `NotFound`; a node without room raises `CapacityExhausted`.
- `find_guest` never raises for a missing guest; it is how saga steps check before they act.
- Transient trouble (unreachable API, 5xx) raises `Unavailable`; only reads are retried inside.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Protocol

import attrs

from domain.model.catalogue import GuestKind, ServerConfig
from domain.model.placement import NodeLoad


@attrs.frozen
class GuestSpec:
    kind: GuestKind
    vmid: int
    hostname: str
    template: str  # LXC: an ostemplate volume id; QEMU: the vmid of a template to clone
    cores: int
    memory_mib: int
    disk_gib: int
    mac_address: str
    vlan: int
    ip_address: str  # with prefix, e.g. "10.20.0.5/24"
    gateway: str
    root_password: str
    ssh_keys: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()  # e.g. ("hostprovider", "server-42")
    # The account whose password (and keys) a VM's cloud-init sets: the image's default user
    # ("Administrator" on Windows); "" leaves it to the adapter. A container's is always root.
    user: str = ""

    @property
    def size(self) -> ServerConfig:
        """What the guest reserves on its node, as placement counts it."""
        return ServerConfig(self.cores, self.memory_mib, self.disk_gib)


@attrs.frozen
class TaskRef:
    node: str
    upid: str


# Told a running task's percentage (0-100) each time it changes.
TaskProgress = Callable[[int], None]


@attrs.frozen
class TaskState:
    running: bool
    exit_status: str | None = None  # "OK" or "WARNINGS: n" on success; anything else is the failure

    @property
    def ok(self) -> bool:
        # Proxmox ends a task that succeeded with warnings (a skipped mount, say) as "WARNINGS: 2".
        status = self.exit_status or ""
        return not self.running and (status == "OK" or status.startswith("WARNINGS:"))


@attrs.frozen
class GuestInfo:
    node: str
    vmid: int
    kind: GuestKind
    name: str
    status: str  # "running" or "stopped"
    cores: int
    memory_mib: int
    disk_gib: int
    template: bool = False
    tags: tuple[str, ...] = ()

    @property
    def size(self) -> ServerConfig:
        return ServerConfig(self.cores, self.memory_mib, self.disk_gib)


@attrs.frozen
class TemplateInfo:
    """Something a node can make guests from."""

    kind: GuestKind
    ref: str  # what a catalogue names: LXC the volume id, QEMU the template's vmid
    name: str  # QEMU: the template's name, which its copies on other nodes share; LXC: the volid


@attrs.frozen
class GuestStats:
    vmid: int
    status: str
    uptime: int  # seconds
    cpu: float  # fraction of its cores in use, 0..1 (a measurement, never money)
    memory_used: int  # bytes
    memory_max: int
    disk_used: int
    disk_max: int
    net_in: int  # bytes since boot
    net_out: int
    disk_read: int = 0  # bytes since boot
    disk_write: int = 0


@attrs.frozen
class RrdPoint:
    time: int
    cpu: float
    memory_used: int
    net_in: float
    net_out: float


@attrs.frozen
class SnapshotInfo:
    name: str
    description: str
    created_at: dt.datetime | None


@attrs.frozen
class ConsoleTicket:
    """What a noVNC client needs."""

    url: str
    host: str
    port: int
    ticket: str
    expires_at: dt.datetime


class Hypervisor(Protocol):
    def nodes(self, location_id: int) -> list[NodeLoad]:
        """Every node of a location with its capacity and what its guests reserve."""
        ...

    def next_vmid(self) -> int:
        """A vmid free at the moment of asking (not reserved: creation may still collide)."""
        ...

    def find_guest(self, vmid: int) -> GuestInfo | None: ...

    def guests(self, location_id: int) -> list[GuestInfo]:
        """Every guest of a location (for reconciliation)."""
        ...

    def templates(self, node: str) -> list[TemplateInfo]:
        """What `node` can create guests from: its LXC container templates and QEMU templates."""
        ...

    def create_guest(self, node: str, spec: GuestSpec) -> TaskRef:
        """Create a stopped guest; a taken vmid raises AlreadyExists."""
        ...

    def reconfigure(self, node: str, vmid: int, spec: GuestSpec) -> TaskRef:
        """Make an existing stopped guest match `spec`: its name, network (MAC, VLAN, address),
        credentials, tags and size (the disk only grows). How a warm-pool guest becomes a
        customer's server; `spec.vmid` and `spec.template` are ignored."""
        ...

    def start(self, node: str, vmid: int) -> TaskRef: ...

    def shutdown(self, node: str, vmid: int) -> TaskRef:
        """Graceful stop that falls back to a hard stop after the adapter's timeout."""
        ...

    def stop(self, node: str, vmid: int) -> TaskRef: ...

    def reboot(self, node: str, vmid: int) -> TaskRef: ...

    def resize(
        self, node: str, vmid: int, *, cores: int, memory_mib: int, disk_gib: int
    ) -> TaskRef:
        """Set cores and memory and grow the disk; a smaller disk raises ValidationError."""
        ...

    def create_snapshot(self, node: str, vmid: int, name: str, description: str) -> TaskRef: ...

    def snapshots(self, node: str, vmid: int) -> list[SnapshotInfo]: ...

    def rollback(self, node: str, vmid: int, name: str) -> TaskRef: ...

    def delete_snapshot(self, node: str, vmid: int, name: str) -> TaskRef: ...

    def set_password(self, node: str, vmid: int, password: str, user: str = "") -> TaskRef:
        """`user`'s password on a VM (the image's default user; "" the adapter's); a
        container's root password."""
        ...

    def console(self, node: str, vmid: int) -> ConsoleTicket: ...

    def destroy(self, node: str, vmid: int) -> TaskRef:
        """Delete the guest with purge. A guest already gone raises NotFound."""
        ...

    def task(self, ref: TaskRef) -> TaskState: ...

    def progress(self, ref: TaskRef) -> int | None:
        """How far the task has come, 0-100, or None when the hypervisor does not say."""
        ...

    def wait(self, ref: TaskRef, on_progress: TaskProgress | None = None) -> TaskState:
        """Block until the task ends; raise ExternalFailure when it did not end OK. While it
        runs, `on_progress` hears each new percentage the task reports."""
        ...

    def stats(self, node: str, vmid: int) -> GuestStats: ...

    def rrd(self, node: str, vmid: int) -> list[RrdPoint]: ...

    def all_stats(self) -> list[GuestStats]:
        """Every guest's current figures in one pass (one request per cluster on Proxmox)."""
        ...
