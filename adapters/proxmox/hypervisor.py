"""The Hypervisor port on a Proxmox VE 8 cluster.

How the port's promises are kept on PVE:
- One task per guest: before changing a guest we look at its config `lock` and at the node's
  active tasks for its vmid, and raise Locked when either is busy (PVE itself would only queue
  the worker and fail it ten seconds later on the flock).
- Capacity: PVE happily overcommits, so a create or a growth is checked here against the node's
  CPUs, memory and the site storage, with the provider's overcommit ratios.
- A QEMU guest is a full clone of a template, then its cloud-init config, then its disk growth:
  one TaskRef covers the three (tasks.py).
- LXC containers have no API for their root password: that goes over SSH to the node
  (lxc_password.py), and without that setting such operations fail before any change.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol
from urllib.parse import urlsplit

from adapters.clock import SystemClock
from adapters.proxmox import specs
from adapters.proxmox.client import ProxmoxClient, api_path
from adapters.proxmox.config import ProxmoxSite
from adapters.proxmox.inventory import (
    KINDS,
    Inventory,
    as_int,
    configured_info,
    disk_key,
    guest_stats,
)
from adapters.proxmox.tasks import Step, TaskTracker
from domain.model.catalogue import GuestKind
from domain.model.errors import (
    CapacityExhausted,
    Conflict,
    DomainError,
    ExternalFailure,
    Locked,
    NotFound,
    Unavailable,
    ValidationError,
)
from domain.model.placement import NodeLoad, Overcommit
from ports.clock import Clock
from ports.hypervisor import (
    ConsoleTicket,
    GuestInfo,
    GuestSpec,
    GuestStats,
    RrdPoint,
    SnapshotInfo,
    TaskRef,
    TaskState,
    TemplateInfo,
)

# How long a vncproxy ticket is accepted for opening the websocket (PVE checks its age).
CONSOLE_TICKET_TTL = dt.timedelta(seconds=40)
# Tasks that hold no guest lock: an open console must not block power actions.
_LOCK_FREE_TASKS = frozenset({"vncproxy", "vncshell", "spiceproxy", "termproxy"})
LXC_PASSWORD_SETTING = "lxc_password_command"


class LxcPasswordCommand(Protocol):
    def set_root_password(self, node: str, vmid: int, password: str, *, running: bool) -> None: ...

    def set_authorized_keys(
        self, node: str, vmid: int, keys: tuple[str, ...], *, running: bool
    ) -> None: ...


class ProxmoxHypervisor:
    def __init__(
        self,
        client: ProxmoxClient,
        sites: Mapping[int, ProxmoxSite],
        *,
        clock: Clock | None = None,
        sleep: Callable[[float], None] = time.sleep,
        shutdown_timeout: int = 60,
        task_poll_seconds: float = 1.0,
        task_timeout_seconds: float = 3600.0,
        overcommit: Overcommit | None = None,
        lxc_password_command: LxcPasswordCommand | None = None,
    ) -> None:
        self._client = client
        self._inventory = Inventory(client, sites)
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._shutdown_timeout = shutdown_timeout
        self._overcommit = overcommit or Overcommit()
        self._lxc_password = lxc_password_command
        self._sleep, self._task_poll = sleep, task_poll_seconds
        self._task_timeout = task_timeout_seconds
        self._tasks = TaskTracker(
            client,
            clock=self._clock,
            sleep=sleep,
            poll_seconds=task_poll_seconds,
            timeout_seconds=task_timeout_seconds,
        )
        # What we learnt about guests: their kind never changes, their node rarely does.
        self._kinds: dict[int, GuestKind] = {}
        self._homes: dict[int, str] = {}

    # --- reads -----------------------------------------------------------------------------------
    def nodes(self, location_id: int) -> list[NodeLoad]:
        return self._inventory.nodes(location_id)

    def next_vmid(self) -> int:
        return as_int(self._client.get("/cluster/nextid"))

    def find_guest(self, vmid: int) -> GuestInfo | None:
        view = self._inventory.cluster_guests()
        listed = next((str(r["node"]) for r in view if as_int(r.get("vmid")) == vmid), None)
        tried: list[str] = []
        for node in (self._homes.get(vmid), listed):
            if node and node not in tried:
                tried.append(node)
                if (info := self._info_on(node, vmid)) is not None:
                    return info
        # The cluster view lags behind a guest created a moment ago: ask the nodes themselves.
        online = {
            n.get("node") for n in self._client.get("/nodes") or [] if n.get("status") == "online"
        }
        for node in self._inventory.all_nodes():
            if node in tried or node not in online:
                continue
            listed_here = any(
                as_int(g.get("vmid")) == vmid for g in self._inventory.node_guests(node)
            )
            if listed_here and (info := self._info_on(node, vmid)) is not None:
                return info
        return None

    def guests(self, location_id: int) -> list[GuestInfo]:
        return self._inventory.guests(location_id)

    def templates(self, node: str) -> list[TemplateInfo]:
        return self._inventory.templates(node)

    def snapshots(self, node: str, vmid: int) -> list[SnapshotInfo]:
        kind, _ = self._current(node, vmid)
        return self._inventory.snapshots(node, kind, vmid)

    def stats(self, node: str, vmid: int) -> GuestStats:
        _, status = self._current(node, vmid)
        return guest_stats(vmid, status)

    def rrd(self, node: str, vmid: int) -> list[RrdPoint]:
        kind, _ = self._current(node, vmid)
        return self._inventory.rrd(node, kind, vmid)

    def all_stats(self) -> list[GuestStats]:
        return [
            guest_stats(as_int(r.get("vmid")), r)
            for r in sorted(self._inventory.cluster_guests(), key=lambda r: as_int(r.get("vmid")))
            # Fresh guests and those of an offline node are "unknown": no figures to give.
            if not as_int(r.get("template")) and r.get("status") in ("running", "stopped")
        ]

    # --- tasks -----------------------------------------------------------------------------------
    def task(self, ref: TaskRef) -> TaskState:
        return self._tasks.state(ref)

    def wait(self, ref: TaskRef) -> TaskState:
        return self._tasks.wait(ref)

    # --- creating and shaping guests -------------------------------------------------------------
    def create_guest(self, node: str, spec: GuestSpec) -> TaskRef:
        site = self._inventory.site_of(node)
        self._ensure_room(node, site, spec.cores, spec.memory_mib, spec.disk_gib)
        if spec.kind is GuestKind.LXC:
            ref = self._ref(
                self._client.post(api_path("nodes", node, "lxc"), **_lxc_create(spec, site))
            )
            self._learn(spec.vmid, GuestKind.LXC, node)
            return ref
        return self._clone(node, spec, site)

    def reconfigure(self, node: str, vmid: int, spec: GuestSpec) -> TaskRef:
        site = self._inventory.site_of(node)
        kind, status = self._current(node, vmid)
        if kind is GuestKind.LXC:
            self._need_lxc_password_command()
        if status.get("status") == "running":
            raise Conflict(f"guest {vmid} must be stopped to be reconfigured", vmid=vmid)
        self._ensure_idle(node, kind, vmid, status)
        config = self._config(node, kind, vmid)
        self._check_growth(node, site, kind, config, spec.cores, spec.memory_mib, spec.disk_gib)
        steps: list[Step]
        if kind is GuestKind.LXC:
            command = self._need_lxc_password_command()
            steps = [
                lambda: self._put_config(node, kind, vmid, _lxc_config(spec, site, config)),
                lambda: command.set_root_password(node, vmid, spec.root_password, running=False),
                lambda: command.set_authorized_keys(node, vmid, spec.ssh_keys, running=False),
                lambda: self._grow(node, kind, vmid, site, spec.disk_gib),
            ]
        else:
            steps = [
                lambda: self._put_config(node, kind, vmid, _qemu_config(spec, site, config)),
                lambda: self._grow(node, kind, vmid, site, spec.disk_gib),
            ]
        return self._tasks.run(node, vmid, steps, local_type="hostprovider-reconfigure")

    def resize(
        self, node: str, vmid: int, *, cores: int, memory_mib: int, disk_gib: int
    ) -> TaskRef:
        site = self._inventory.site_of(node)
        kind, status = self._current(node, vmid)
        self._ensure_idle(node, kind, vmid, status)
        config = self._config(node, kind, vmid)
        self._check_growth(node, site, kind, config, cores, memory_mib, disk_gib)
        steps: list[Step] = [
            lambda: self._put_config(node, kind, vmid, {"cores": cores, "memory": memory_mib}),
            lambda: self._grow(node, kind, vmid, site, disk_gib),
        ]
        if kind is GuestKind.QEMU and status.get("status") == "running":
            # Without CPU and memory hotplug a running VM keeps its old size as a pending change;
            # PVE's reboot (a stop and start, unlike one inside the guest) applies it.
            steps.append(lambda: self._apply_pending(node, vmid))
        return self._tasks.run(node, vmid, steps, local_type="hostprovider-resize")

    def _apply_pending(self, node: str, vmid: int) -> TaskRef | None:
        pending = self._client.get(self._path(node, GuestKind.QEMU, vmid, "pending")) or []
        if not any("pending" in entry or entry.get("delete") for entry in pending):
            return None
        return self._ref(
            self._client.post(self._path(node, GuestKind.QEMU, vmid, "status", "reboot"))
        )

    def set_password(self, node: str, vmid: int, password: str, user: str = "") -> TaskRef:
        site = self._inventory.site_of(node)
        kind, status = self._current(node, vmid)
        running = status.get("status") == "running"
        self._ensure_idle(node, kind, vmid, status)
        if kind is GuestKind.LXC:
            command = self._need_lxc_password_command()
            steps: list[Step] = [
                lambda: command.set_root_password(node, vmid, password, running=running)
            ]
            return self._tasks.run(node, vmid, steps, local_type="hostprovider-password")
        if running:
            # The guest agent changes it now; cloud-init's copy below keeps it after a rebuild.
            self._client.post(
                self._path(node, kind, vmid, "agent", "set-user-password"),
                username=user or site.qemu_user,
                password=password,
            )
        return self._ref(
            self._client.post(self._path(node, kind, vmid, "config"), cipassword=password)
        )

    # --- power -----------------------------------------------------------------------------------
    def start(self, node: str, vmid: int) -> TaskRef:
        return self._power(node, vmid, "start")

    def shutdown(self, node: str, vmid: int) -> TaskRef:
        # PVE does the fallback itself: after `timeout` seconds `forceStop` kills the guest.
        return self._power(node, vmid, "shutdown", timeout=self._shutdown_timeout, forceStop=True)

    def stop(self, node: str, vmid: int) -> TaskRef:
        return self._power(node, vmid, "stop")

    def reboot(self, node: str, vmid: int) -> TaskRef:
        return self._power(node, vmid, "reboot", needs_running=True)

    # --- snapshots -------------------------------------------------------------------------------
    def create_snapshot(self, node: str, vmid: int, name: str, description: str) -> TaskRef:
        kind, status = self._current(node, vmid)
        self._ensure_idle(node, kind, vmid, status)
        return self._ref(
            self._client.post(
                self._path(node, kind, vmid, "snapshot"),
                snapname=name,
                description=description or None,
            )
        )

    def rollback(self, node: str, vmid: int, name: str) -> TaskRef:
        kind, status = self._snapshot_target(node, vmid, name)
        # PVE stops a running guest to roll it back; `start` brings it back up afterwards.
        running = status.get("status") == "running"
        return self._ref(
            self._client.post(
                self._path(node, kind, vmid, "snapshot", name, "rollback"), start=running
            )
        )

    def delete_snapshot(self, node: str, vmid: int, name: str) -> TaskRef:
        kind, _ = self._snapshot_target(node, vmid, name)
        return self._ref(self._client.delete(self._path(node, kind, vmid, "snapshot", name)))

    # --- console and removal ---------------------------------------------------------------------
    def console(self, node: str, vmid: int) -> ConsoleTicket:
        kind, status = self._current(node, vmid)
        if status.get("status") != "running":
            raise Conflict(f"guest {vmid} is not running", vmid=vmid)
        proxy = self._client.post(self._path(node, kind, vmid, "vncproxy"), websocket=True)
        api = urlsplit(self._client.connection.url)
        viewer = "lxc" if kind is GuestKind.LXC else "kvm"
        url = (
            f"{api.scheme}://{api.netloc}/?console={viewer}&vmid={vmid}&node={node}"
            "&novnc=1&resize=scale"
        )
        return ConsoleTicket(
            url=url,
            host=api.hostname or "",
            port=as_int(proxy.get("port")),
            ticket=str(proxy.get("ticket")),
            expires_at=self._clock.now() + CONSOLE_TICKET_TTL,
        )

    def destroy(self, node: str, vmid: int) -> TaskRef:
        kind, status = self._current(node, vmid)
        if status.get("status") == "running":
            raise Conflict(f"guest {vmid} is running - destroy failed", vmid=vmid)
        self._ensure_idle(node, kind, vmid, status)
        return self._ref(
            self._client.delete(
                self._path(node, kind, vmid), purge=True, **{"destroy-unreferenced-disks": True}
            )
        )

    # --- helpers ---------------------------------------------------------------------------------
    def _clone_source(self, node: str, template: int) -> tuple[str, int]:
        """The node and vmid to clone from. A vmid names one guest in the whole cluster, but a full
        clone from local storage only works on the template's own node, so each node keeps its
        own copy under the same name: the catalogue's vmid picks the name, the target node's copy
        is cloned. Without a copy there, the named template itself (shared storage)."""
        templates = [r for r in self._inventory.cluster_guests() if as_int(r.get("template"))]
        named = next((r for r in templates if as_int(r.get("vmid")) == template), None)
        if named is None:
            return node, template  # PVE answers for a template it does not have
        local = next(
            (r for r in templates if r.get("node") == node and r.get("name") == named.get("name")),
            None,
        )
        chosen = local if local is not None else named
        return str(chosen["node"]), int(chosen["vmid"])

    def _clone(self, node: str, spec: GuestSpec, site: ProxmoxSite) -> TaskRef:
        try:
            template = int(spec.template)
        except ValueError:
            raise ValidationError("template", "must be the vmid of a QEMU template") from None
        source, template = self._clone_source(node, template)
        kind = GuestKind.QEMU
        marker = _clone_marker(spec)

        def clone() -> TaskRef:
            ref = self._ref(
                self._client.post(
                    api_path("nodes", source, "qemu", template, "clone"),
                    newid=spec.vmid,
                    name=spec.hostname,
                    description=marker,
                    full=True,
                    storage=site.storage,
                    target=node if source != node else None,
                )
            )
            self._learn(spec.vmid, kind, node)
            return ref

        def configure() -> None:
            # What the template carried and the spec leaves empty (its tags, keys) goes.
            cloned = self._config(node, kind, spec.vmid)
            self._put_config(node, kind, spec.vmid, _qemu_config(spec, site, cloned))

        steps: list[Step] = [
            clone,
            self._or_discard_clone(node, spec.vmid, configure),
            lambda: self._grow(node, kind, spec.vmid, site, spec.disk_gib),
        ]
        if self._unfinished_clone(node, spec.vmid, marker):
            # A process that cloned this guest died before configuring it (the later steps live
            # in memory only): finish its work rather than call the vmid taken and orphan it.
            steps = steps[1:]
        return self._tasks.run(node, spec.vmid, steps, local_type="hostprovider-create")

    def _or_discard_clone(self, node: str, vmid: int, configure: Callable[[], None]) -> Step:
        """The clone's configuration, which destroys the clone when it fails for good: until it is
        configured a clone carries the template's tags, not the spec's, so the caller could not
        tell it for its own and clean it up."""

        def step() -> None:
            try:
                configure()
            except Unavailable:
                raise  # the tracker tries the step again at its next poll
            except DomainError:
                with contextlib.suppress(DomainError):  # the original failure is the one to tell
                    self._tasks.wait(self.destroy(node, vmid))
                raise

        return step

    def _unfinished_clone(self, node: str, vmid: int, marker: str) -> bool:
        """The guest at `vmid` is a clone for this very spec, never configured; one still being
        copied is waited for (its task runs on the template's node, under the template's vmid,
        so only its `lock: clone` tells it is ours)."""
        try:
            kind, status = self._current(node, vmid)
        except NotFound:
            return False
        if kind is not GuestKind.QEMU:
            return False
        config = self._config(node, kind, vmid)
        if config.get("description") != marker or as_int(config.get("template")):
            return False
        if status.get("lock") == "clone":
            try:
                status = self._wait_unlocked(node, kind, vmid)
            except NotFound:
                return False  # the clone failed, and PVE removed it: clone again
        self._ensure_idle(node, kind, vmid, status)
        return True

    def _wait_unlocked(self, node: str, kind: GuestKind, vmid: int) -> dict[str, Any]:
        """The guest's status once its config lock is gone (its task ended, well or not); NotFound
        if the guest went with it (a failed clone is removed)."""
        deadline = self._clock.now() + dt.timedelta(seconds=self._task_timeout)
        while True:
            _, status = self._current(node, vmid)
            if not status.get("lock"):
                return status
            if self._clock.now() >= deadline:
                raise Locked(f"guest {vmid} is locked ({status['lock']})", vmid=vmid)
            self._sleep(self._task_poll)

    def _power(
        self, node: str, vmid: int, action: str, *, needs_running: bool = False, **params: object
    ) -> TaskRef:
        kind, status = self._current(node, vmid)
        if needs_running and status.get("status") != "running":
            raise Conflict(f"guest {vmid} is not running", vmid=vmid)
        self._ensure_idle(node, kind, vmid, status)
        return self._ref(
            self._client.post(self._path(node, kind, vmid, "status", action), **params)
        )

    def _snapshot_target(self, node: str, vmid: int, name: str) -> tuple[GuestKind, dict]:
        kind, status = self._current(node, vmid)
        self._ensure_idle(node, kind, vmid, status)
        if name not in {s.name for s in self._inventory.snapshots(node, kind, vmid)}:
            raise NotFound("snapshot", name)
        return kind, status

    def _current(self, node: str, vmid: int) -> tuple[GuestKind, dict[str, Any]]:
        """The guest's kind and live status, read on its node; NotFound when it is not there."""
        self._inventory.site_of(node)
        known = self._kinds.get(vmid)
        order = (known, *(k for k in KINDS if k is not known)) if known else KINDS
        for kind in order:
            try:
                status = self._client.get(self._path(node, kind, vmid, "status", "current"))
            except NotFound as missing:
                if missing.details.get("kind") == "node":
                    raise
                continue
            self._learn(vmid, kind, node)
            return kind, dict(status or {})
        raise NotFound("guest", vmid)

    def _info_on(self, node: str, vmid: int) -> GuestInfo | None:
        try:
            kind, status = self._current(node, vmid)
            config = self._config(node, kind, vmid)
        except NotFound:
            return None
        return configured_info(node, kind, vmid, status, config, self._inventory.site_of(node))

    def _ensure_idle(self, node: str, kind: GuestKind, vmid: int, status: Mapping) -> None:
        """Locked when a task runs on the guest (with its node and upid, so the caller may wait
        for it: a create's `lock: create` is its task's), or when its config is locked."""
        active = self._client.get(api_path("nodes", node, "tasks"), vmid=vmid, source="active")
        for task in active or []:
            if _is_running(task) and task.get("type") not in _LOCK_FREE_TASKS:
                raise Locked(
                    f"guest {vmid} is busy with a {task.get('type')} task",
                    vmid=vmid,
                    node=node,
                    upid=task.get("upid"),
                )
        lock = status.get("lock")
        if lock:
            raise Locked(f"guest {vmid} is locked ({lock})", vmid=vmid, lock=lock)

    def _ensure_room(
        self, node: str, site: ProxmoxSite, cores: int, memory_mib: int, disk_gib: int
    ) -> None:
        load = self._inventory.load(node, site)
        ratios = self._overcommit
        if (
            (load.used_cores + cores) * 100 > load.cores * ratios.cores_percent
            or (load.used_memory_mib + memory_mib) * 100 > load.memory_mib * ratios.memory_percent
            or load.used_disk_gib + disk_gib > load.disk_gib
        ):
            raise CapacityExhausted(f"node {node} has no room for the guest", node=node)

    def _check_growth(
        self,
        node: str,
        site: ProxmoxSite,
        kind: GuestKind,
        config: Mapping[str, Any],
        cores: int,
        memory_mib: int,
        disk_gib: int,
    ) -> None:
        current = configured_info(node, kind, 0, {}, config, site)
        if disk_gib < current.disk_gib:
            raise ValidationError(
                "disk", f"cannot shrink from {current.disk_gib} GiB to {disk_gib} GiB"
            )
        growth = (
            cores - current.cores,
            memory_mib - current.memory_mib,
            disk_gib - current.disk_gib,
        )
        if any(g > 0 for g in growth):
            self._ensure_room(node, site, *growth)

    def _grow(
        self, node: str, kind: GuestKind, vmid: int, site: ProxmoxSite, disk_gib: int
    ) -> TaskRef | None:
        """Grow the guest's disk to `disk_gib`; None when it already has that size."""
        key = disk_key(kind, site)
        current = specs.disk_gib(self._config(node, kind, vmid).get(key))
        if disk_gib < current:
            raise ValidationError("disk", f"cannot shrink from {current} GiB to {disk_gib} GiB")
        if disk_gib == current:
            return None
        upid = self._client.put(
            self._path(node, kind, vmid, "resize"), disk=key, size=f"{disk_gib}G"
        )
        return self._ref(upid) if upid else None  # PVE before 8 answered null here

    def _config(self, node: str, kind: GuestKind, vmid: int) -> dict[str, Any]:
        return dict(self._client.get(self._path(node, kind, vmid, "config")) or {})

    def _put_config(self, node: str, kind: GuestKind, vmid: int, values: dict) -> None:
        self._client.put(self._path(node, kind, vmid, "config"), **values)

    def _need_lxc_password_command(self) -> LxcPasswordCommand:
        if self._lxc_password is None:
            raise ExternalFailure(
                "LXC root passwords can only be set over SSH to the node, and "
                f"{LXC_PASSWORD_SETTING} is not configured",
                setting=LXC_PASSWORD_SETTING,
            )
        return self._lxc_password

    def _learn(self, vmid: int, kind: GuestKind, node: str) -> None:
        self._kinds[vmid] = kind
        self._homes[vmid] = node

    @staticmethod
    def _path(node: str, kind: GuestKind, vmid: int, *rest: object) -> str:
        return api_path("nodes", node, kind.value, vmid, *rest)

    @staticmethod
    def _ref(upid: object) -> TaskRef:
        text = str(upid or "")
        parts = text.split(":")
        if len(parts) < 9 or parts[0] != "UPID":
            raise ExternalFailure(f"proxmox answered {text!r} where a task id was expected")
        return TaskRef(parts[1], text)  # the node running the task is the UPID's second field


def _is_running(task: Mapping[str, Any]) -> bool:
    # In the active list a finished task carries its end time and exit status.
    return "endtime" not in task and str(task.get("status") or "RUNNING").upper() == "RUNNING"


def _lxc_create(spec: GuestSpec, site: ProxmoxSite) -> dict[str, object]:
    return {
        "vmid": spec.vmid,
        "ostemplate": spec.template,
        "hostname": spec.hostname,
        "unprivileged": True,
        "rootfs": specs.rootfs(site.storage, spec.disk_gib),
        "cores": spec.cores,
        "memory": spec.memory_mib,
        "swap": site.swap_mib,
        "net0": specs.lxc_net0(spec, site.bridge),
        "nameserver": specs.nameservers(site.nameservers),
        "password": spec.root_password,
        "ssh-public-keys": specs.lxc_ssh_keys(spec.ssh_keys),
        "tags": specs.tags(spec.tags) or None,
    }


def _lxc_config(
    spec: GuestSpec, site: ProxmoxSite, current: Mapping[str, Any]
) -> dict[str, object]:
    values: dict[str, object] = {
        "hostname": spec.hostname,
        "cores": spec.cores,
        "memory": spec.memory_mib,
        "swap": site.swap_mib,
        "net0": specs.lxc_net0(spec, site.bridge),
        "nameserver": specs.nameservers(site.nameservers),
        "tags": specs.tags(spec.tags) or None,
    }
    return _with_deletions(values, current)


def _qemu_config(
    spec: GuestSpec, site: ProxmoxSite, current: Mapping[str, Any]
) -> dict[str, object]:
    values: dict[str, object] = {
        "name": spec.hostname,
        "cores": spec.cores,
        "memory": spec.memory_mib,
        "net0": specs.qemu_net0(spec, site.bridge),
        "ipconfig0": specs.ipconfig0(spec),
        "nameserver": specs.nameservers(site.nameservers),
        "ciuser": spec.user or site.qemu_user,
        "cipassword": spec.root_password,
        "sshkeys": specs.qemu_ssh_keys(spec.ssh_keys),
        "tags": specs.tags(spec.tags) or None,
        "description": None,  # a clone's marker (see _clone_marker) goes once it is configured
    }
    return _with_deletions(values, current)


def _clone_marker(spec: GuestSpec) -> str:
    """Written on a clone as it is made: a clone found with it and no configuration yet is one a
    crashed process left half-done for this spec, safe to finish."""
    return f"hostprovider: clone in progress for {spec.hostname} ({' '.join(spec.tags)})"


def _with_deletions(values: dict[str, object], current: Mapping[str, Any]) -> dict[str, object]:
    """Keys the spec leaves empty but the guest has (a pool guest's tags, say) are deleted."""
    gone = sorted(k for k, v in values.items() if v is None and k in current)
    cleaned = {k: v for k, v in values.items() if v is not None}
    if gone:
        cleaned["delete"] = ",".join(gone)
    return cleaned
