"""LXC endpoints of their own: create from an ostemplate and the synchronous config update."""

from __future__ import annotations

import re

from simulators.proxmox import worker_logs
from simulators.proxmox.call import Call
from simulators.proxmox.cluster import Cluster
from simulators.proxmox.config_edit import CONTROL_KEYS, apply_update, stored_value
from simulators.proxmox.handlers_guest import check_digest, locate
from simulators.proxmox.model import GIB, MIB, Guest, PveError, format_size

_SSH_KEY = re.compile(
    r"^(ssh-(rsa|ed25519|dss)|ecdsa-sha2-nistp(256|384|521)|sk-\S+@openssh\.com) "
    r"[A-Za-z0-9+/]+={0,3}( .*)?$"
)
# Create parameters that are not config keys.
_CREATE_ONLY = frozenset(
    {
        "ostemplate",
        "password",
        "ssh-public-keys",
        "storage",
        "start",
        "restore",
        "force",
        "unique",
        "pool",
        "bwlimit",
        "ignore-unpack-errors",
        "rootfs",
        "vmid",
        "node",
    }
)
_OSTYPES = ("ubuntu", "debian", "centos", "fedora", "alpine", "archlinux", "opensuse", "devuan")


def _existing(cluster: Cluster, vmid: int) -> PveError | None:
    guest = cluster.guests.get(vmid)
    if guest is None:
        return None
    return PveError(500, f"{guest.label} {vmid} already exists on node '{guest.node}'")


def _rootfs(call: Call) -> tuple[str, int]:
    """(storage, bytes) of the root disk to allocate: `STORAGE:GiB`, or a bare size on the
    `storage` parameter, whose default is `local`; no rootfs at all means 4 GiB."""
    storage = call.text("storage", "local") or "local"
    spec = call.text("rootfs", f"{storage}:4") or ""
    volume = spec.split(",", 1)[0].removeprefix("volume=")
    found = re.fullmatch(r"(?:([a-zA-Z][\w.\-]*):)?(\d+(?:\.\d+)?)", volume)
    if found is None:
        raise PveError(500, f"unable to parse rootfs volume '{volume}' (simulator allocates only)")
    return found.group(1) or storage, int(float(found.group(2)) * GIB)


def create(call: Call) -> str:
    cluster = call.cluster
    node = cluster.reachable_node(call.node)
    cluster.fault_at_call("create")
    vmid = call.vmid
    taken = _existing(cluster, vmid)
    if taken:
        raise taken
    if call.flag("restore"):
        raise PveError(500, "restore is not simulated")
    if call.text("pool"):
        raise PveError(500, f"pool '{call.text('pool')}' does not exist")
    template = call.params["ostemplate"]
    template_store = template.split(":", 1)[0]
    if template_store not in node.storages:
        raise PveError(500, f"storage '{template_store}' does not exist")
    keys = call.text("ssh-public-keys") or ""
    if any(line.strip() and not _SSH_KEY.match(line.strip()) for line in keys.splitlines()):
        raise PveError(500, "SSH public key validation error")
    storage_name, disk = _rootfs(call)
    storage = node.storages.get(storage_name)
    if storage is None:
        raise PveError(500, f"storage '{storage_name}' does not exist")
    if "rootdir" not in storage.content:
        raise PveError(500, f"storage '{storage_name}' does not support container directories")

    guest = Guest(call.node, vmid, "lxc", {}, created_at=cluster.now())
    ostype = next((os for os in _OSTYPES if os in template.lower()), "unmanaged")
    guest.config.update(
        arch="amd64",
        hostname=f"CT{vmid}",
        memory="512",
        swap="512",
        ostype=ostype,
        rootfs=f"{storage_name}:vm-{vmid}-disk-0,size={format_size(disk)}",
        lock="create",
    )
    for key, value in call.params.items():
        if key not in _CREATE_ONLY and key not in CONTROL_KEYS:
            guest.config[key] = stored_value(guest, key, value, cluster)
    if call.text("password"):
        guest.passwords["root"] = call.params["password"]
    guest.ssh_keys = keys or None
    cluster.guests[vmid] = guest  # the config exists (locked) from the call on

    def check() -> str | None:
        if template not in node.storages[template_store].volumes:
            return f"unable to create CT {vmid} - volume '{template}' does not exist"
        free = storage.total - cluster.storage_used(call.node, storage_name) + disk
        if disk > free:
            return (
                f"unable to create CT {vmid} - lvcreate 'pve/vm-{vmid}-disk-0' error:   "
                f'Volume group "pve" has insufficient free space ({free // (4 * MIB)} extents): '
                f"{disk // (4 * MIB)} required."
            )
        room = node.memory // MIB - cluster.memory_reserved(call.node, besides=vmid)
        if guest.memory_mib > room:
            # PVE itself would overcommit; the simulator keeps the fake's capacity rule.
            return f"unable to create CT {vmid} - not enough memory on node '{call.node}'"
        return None

    def effect() -> None:
        if call.flag("start"):
            guest.power(True, cluster.now())

    def undo() -> None:
        cluster.guests.pop(vmid, None)

    task = cluster.start_task(
        call.node,
        "vzcreate",
        str(vmid),
        call.user,
        guest=guest,
        config_lock="create",
        check=check,
        effect=effect,
        undo=undo,
        failure=cluster.fault_in_task("create"),
        script=worker_logs.lxc_create(vmid, guest.name, template, disk, storage),
    )
    return task.upid


def update_config(call: Call) -> None:
    """PUT config: synchronous, under the flock, refused on a config `lock:` or a stale digest."""
    cluster = call.cluster
    guest = locate(call, "lxc")
    cluster.fault_at_call("reconfigure")
    planned = cluster.fault_in_task("reconfigure")
    if planned is not None:
        raise PveError(500, planned)
    cluster.take_flock_now(guest)
    locked = cluster.config_locked(guest)
    if locked:
        raise PveError(500, locked)
    stale = check_digest(guest, call.text("digest"))
    if stale:
        raise PveError(500, stale)
    apply_update(guest, call.params, cluster)
