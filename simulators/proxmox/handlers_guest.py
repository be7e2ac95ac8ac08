"""Endpoints LXC and QEMU share: status, power, resize, snapshots, destroy, console, rrddata,
config reads. Which errors come at the call and which inside the task follows pve-container and
qemu-server (see the reference, sections 3.4 to 4.7)."""

from __future__ import annotations

import copy
from typing import Any

from simulators.proxmox import worker_logs
from simulators.proxmox.call import Call
from simulators.proxmox.console import ConsoleUpgrade
from simulators.proxmox.model import (
    Guest,
    PveError,
    Snapshot,
    format_size,
    parse_size,
    split_volume,
)
from simulators.proxmox.readmodels import guest_status, rrd_points

STALE_DIGEST = "detected modified configuration - file changed by other user? Try again."
_PREFIX = {"lxc": "vz", "qemu": "qm"}


def locate(call: Call, kind: str) -> Guest:
    call.cluster.reachable_node(call.node)
    return call.cluster.guest_on(call.node, call.vmid, kind)


def fail_if_locked(call: Call, guest: Guest) -> None:
    locked = call.cluster.config_locked(guest)
    if locked:
        raise PveError(500, locked)


def check_digest(guest: Guest, digest: str | None) -> str | None:
    return STALE_DIGEST if digest is not None and digest != guest.digest() else None


# --- reads ---------------------------------------------------------------------------------------
def list_guests(call: Call, kind: str) -> list[dict[str, Any]]:
    call.cluster.reachable_node(call.node)
    now = call.cluster.now()
    return [
        guest_status(g, now)
        for _, g in sorted(call.cluster.guests.items())
        if g.node == call.node and g.kind == kind
    ]


def status_current(call: Call, kind: str) -> dict[str, Any]:
    return guest_status(locate(call, kind), call.cluster.now())


def get_config(call: Call, kind: str) -> dict[str, Any]:
    guest = locate(call, kind)
    source = guest.config
    snapname = call.text("snapshot")
    if snapname is not None:
        if snapname not in guest.snapshots:
            raise PveError(500, f"snapshot '{snapname}' does not exist")
        source = guest.snapshots[snapname].config
    config: dict[str, Any] = dict(source)
    if snapname is None and not call.flag("current"):
        config.update(guest.pending)
    if "cipassword" in config:
        config["cipassword"] = "**********"
    for key in ("cores", "sockets", "swap", "cpuunits", "template", "unprivileged", "onboot"):
        if key in config and str(config[key]).isdigit():
            config[key] = int(config[key])
    if str(config.get("memory", "")).isdigit():
        config["memory"] = int(config["memory"]) if kind == "lxc" else str(config["memory"])
    config["digest"] = guest.digest()
    return config


def pending(call: Call, kind: str) -> list[dict[str, Any]]:
    guest = locate(call, kind)
    keys = sorted(set(guest.config) | set(guest.pending))
    entries = []
    for key in keys:
        entry: dict[str, Any] = {"key": key}
        if key in guest.config:
            entry["value"] = guest.config[key]
        if key in guest.pending:
            entry["pending"] = guest.pending[key]
        entries.append(entry)
    return entries


def rrddata(call: Call, kind: str) -> list[dict[str, Any]]:
    guest = locate(call, kind)
    return rrd_points(guest, call.cluster.now(), call.params["timeframe"])


# --- power ---------------------------------------------------------------------------------------
def power(call: Call, kind: str, action: str) -> str:
    """start, stop, shutdown, reboot; LXC refuses a pointless one at the call, QEMU inside the
    task (start) or not at all (stop/shutdown of a stopped VM is an OK no-op)."""
    cluster = call.cluster
    guest = locate(call, kind)
    cluster.fault_at_call(action)
    running = guest.status == "running"
    if kind == "lxc":
        if action == "start" and running:
            raise PveError(500, f"CT {guest.vmid} already running")
        if action in ("stop", "shutdown") and not running:
            raise PveError(500, f"CT {guest.vmid} not running")
    if action == "reboot" and not running:
        raise PveError(500, f"VM {guest.vmid} not running")  # LXC says "VM" here too

    def check() -> str | None:
        locked = cluster.config_locked(guest, allow=("mounted",) if action == "start" else ())
        if locked:
            return locked
        if action == "start" and guest.template:
            what = "a CT" if kind == "lxc" else "a vm"
            return f"you can't start {what} if it's a template"
        if action == "start" and guest.status == "running":
            return f"{guest.label} {guest.vmid} already running"
        return None

    def effect() -> None:
        now = cluster.now()
        if action in ("start", "reboot"):
            guest.config.update(guest.pending)
            guest.pending.clear()
            guest.power(False, now)
            guest.power(True, now)
        else:
            guest.power(False, now)

    task = cluster.start_task(
        call.node,
        f"{_PREFIX[kind]}{action}",
        str(guest.vmid),
        call.user,
        guest=guest,
        check=check,
        effect=effect,
        failure=cluster.fault_in_task(action),
    )
    return task.upid


# --- resize --------------------------------------------------------------------------------------
def resize(call: Call, kind: str) -> str:
    cluster = call.cluster
    guest = locate(call, kind)
    cluster.fault_at_call("resize")
    fail_if_locked(call, guest)
    stale = check_digest(guest, call.text("digest"))
    if stale:
        raise PveError(500, stale)
    disk = call.params["disk"]
    if disk not in guest.config:
        raise PveError(500, f"disk '{disk}' does not exist")
    volume = split_volume(guest.config[disk])
    current = parse_size(volume.get("size", "0"))
    wanted = call.params["size"]
    target = current + parse_size(wanted[1:]) if wanted.startswith("+") else parse_size(wanted)
    if target < current:
        raise PveError(500, "unable to shrink disk size")
    if target == current:
        raise PveError(500, "disk is already at specified size")
    storage_name = volume["volume"].split(":", 1)[0]

    def check() -> str | None:
        storage = cluster.nodes[guest.node].storages.get(storage_name)
        if storage is not None:
            free = storage.total - cluster.storage_used(guest.node, storage_name)
            if target - current > free:
                return (
                    f"lvextend '{storage_name}/{volume['volume'].split(':', 1)[-1]}' error: "
                    f"Insufficient free space: {target - current} bytes needed, {free} left"
                )
        return None

    def effect() -> None:
        parts = split_volume(guest.config[disk])
        parts["size"] = format_size(target)
        first = parts.pop("volume")
        guest.config[disk] = ",".join([first, *(f"{k}={v}" for k, v in parts.items())])

    volname = volume["volume"].split(":", 1)[-1]
    storage = cluster.nodes[guest.node].storages.get(storage_name)
    task = cluster.start_task(
        call.node,
        "resize",
        str(guest.vmid),
        call.user,
        guest=guest,
        check=check,
        effect=effect,
        failure=cluster.fault_in_task("resize"),
        script=worker_logs.resize(guest, volname, storage, current, target),
    )
    return task.upid


# --- snapshots -----------------------------------------------------------------------------------
def list_snapshots(call: Call, kind: str) -> list[dict[str, Any]]:
    guest = locate(call, kind)
    entries: list[dict[str, Any]] = []
    for snapshot in guest.snapshots.values():
        entry: dict[str, Any] = {
            "name": snapshot.name,
            "description": snapshot.description,
            "snaptime": snapshot.snaptime,
        }
        if snapshot.parent:
            entry["parent"] = snapshot.parent
        if kind == "qemu":
            entry["vmstate"] = int(snapshot.vmstate)
        entries.append(entry)
    current: dict[str, Any] = {
        "name": "current",
        "description": "You are here!",
        "running": int(guest.status == "running"),
    }
    if guest.config.get("parent"):
        current["parent"] = guest.config["parent"]
    return [*entries, current]


def create_snapshot(call: Call, kind: str) -> str:
    cluster = call.cluster
    guest = locate(call, kind)
    cluster.fault_at_call("snapshot")
    name = call.params["snapname"]
    description = call.text("description", "") or ""
    with_ram = kind == "qemu" and call.flag("vmstate") and guest.status == "running"

    def check() -> str | None:
        locked = cluster.config_locked(guest)
        if locked:
            return locked
        if name in guest.snapshots or name == "current":
            return f"snapshot name '{name}' already used"
        return None

    def effect() -> None:
        kept = {k: v for k, v in guest.config.items() if k not in ("lock", "parent")}
        guest.snapshots[name] = Snapshot(
            name,
            description,
            int(cluster.now().timestamp()),
            guest.config.get("parent"),
            copy.deepcopy(kept),
            with_ram,
        )
        guest.config["parent"] = name

    task = cluster.start_task(
        call.node,
        f"{_PREFIX[kind]}snapshot",
        str(guest.vmid),
        call.user,
        guest=guest,
        config_lock="snapshot",
        check=check,
        effect=effect,
        failure=cluster.fault_in_task("snapshot"),
    )
    return task.upid


def rollback(call: Call, kind: str) -> str:
    """Back to the snapshot's config; a running guest is stopped first and stays stopped unless
    `start=1` (or, for QEMU, the snapshot holds the RAM state)."""
    cluster = call.cluster
    guest = locate(call, kind)
    cluster.fault_at_call("rollback")
    name = call.params["snapname"]

    def check() -> str | None:
        return cluster.config_locked(guest) or (
            None if name in guest.snapshots else f"snapshot '{name}' does not exist"
        )

    def effect() -> None:
        snapshot = guest.snapshots[name]
        now = cluster.now()
        guest.config = {**copy.deepcopy(snapshot.config), "parent": name}
        guest.pending.clear()
        guest.power(call.flag("start") or snapshot.vmstate, now)

    task = cluster.start_task(
        call.node,
        f"{_PREFIX[kind]}rollback",
        str(guest.vmid),
        call.user,
        guest=guest,
        config_lock="rollback",
        check=check,
        effect=effect,
        failure=cluster.fault_in_task("rollback"),
    )
    return task.upid


def delete_snapshot(call: Call, kind: str) -> str:
    cluster = call.cluster
    guest = locate(call, kind)
    cluster.fault_at_call("delete_snapshot")
    name = call.params["snapname"]

    def check() -> str | None:
        return cluster.config_locked(guest) or (
            None if name in guest.snapshots else f"snapshot '{name}' does not exist"
        )

    def effect() -> None:
        removed = guest.snapshots.pop(name)
        for other in guest.snapshots.values():
            if other.parent == name:
                other.parent = removed.parent
        if guest.config.get("parent") == name:
            if removed.parent:
                guest.config["parent"] = removed.parent
            else:
                guest.config.pop("parent")

    task = cluster.start_task(
        call.node,
        f"{_PREFIX[kind]}delsnapshot",
        str(guest.vmid),
        call.user,
        guest=guest,
        config_lock="snapshot-delete",
        check=check,
        effect=effect,
        failure=cluster.fault_in_task("delete_snapshot"),
    )
    return task.upid


# --- destroy -------------------------------------------------------------------------------------
def destroy(call: Call, kind: str) -> str:
    cluster = call.cluster
    guest = locate(call, kind)
    cluster.fault_at_call("destroy")
    fail_if_locked(call, guest)
    if guest.config.get("protection") == "1":
        raise PveError(500, f"can't remove {guest.label} {guest.vmid} - protection mode enabled")
    if guest.status == "running":
        if kind == "qemu":
            raise PveError(500, f"VM {guest.vmid} is running - destroy failed")
        if not call.flag("force"):
            raise PveError(500, f"unable to destroy CT {guest.vmid} - container is running")

    def check() -> str | None:
        return cluster.config_locked(guest, allow=("destroyed",))

    def effect() -> None:
        cluster.guests.pop(guest.vmid, None)

    task = cluster.start_task(
        call.node,
        f"{_PREFIX[kind]}destroy",
        str(guest.vmid),
        call.user,
        guest=guest,
        config_lock="destroyed",
        check=check,
        effect=effect,
        failure=cluster.fault_in_task("destroy"),
    )
    return task.upid


# --- console -------------------------------------------------------------------------------------
def console(call: Call, kind: str, flavour: str) -> dict[str, Any]:
    """termproxy / vncproxy: a ticket for the websocket, and a `vncproxy` task that serves it."""
    cluster = call.cluster
    guest = locate(call, kind)
    cluster.fault_at_call("console")
    planned = cluster.fault_in_task("console")
    if planned is not None:
        raise PveError(500, planned)

    def check() -> str | None:
        return None if guest.status == "running" else f"{guest.label} {guest.vmid} not running"

    task = cluster.start_task(
        call.node, "vncproxy", str(guest.vmid), call.user, guest=guest, check=check, flock=False
    )
    issued = cluster.consoles.issue(
        call, guest, generate_password=flavour == "vncproxy" and call.flag("generate-password")
    )
    reply: dict[str, Any] = {
        "port": issued.port,
        "ticket": issued.ticket,
        "upid": task.upid,
        "user": call.user,
    }
    if flavour == "vncproxy":
        reply["cert"] = SIMULATED_CERT
        if call.flag("generate-password"):
            reply["password"] = issued.password
    return reply


def vnc_websocket(call: Call, kind: str) -> ConsoleUpgrade:
    """Checks the VNC ticket of a port; the websocket upgrade itself is the HTTP side's."""
    guest = locate(call, kind)
    console = call.cluster.consoles.attach(call, guest)
    return ConsoleUpgrade({"port": str(console.port)}, console, guest)


SIMULATED_CERT = (
    "-----BEGIN CERTIFICATE-----\n"
    "TUlJQ1NpbXVsYXRlZFByb3htb3hOb2RlQ2VydGlmaWNhdGVOb3RGb3JVc2U=\n"
    "-----END CERTIFICATE-----\n"
)
