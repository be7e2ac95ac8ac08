"""QEMU endpoints of their own: full or linked clone of a template, config update (PUT at once,
POST as a `qmconfig` task), and the guest agent's set-user-password."""

from __future__ import annotations

import hashlib
from typing import Any

from simulators.proxmox import worker_logs
from simulators.proxmox.call import Call
from simulators.proxmox.cluster import Cluster
from simulators.proxmox.config_edit import apply_update, qemu_net
from simulators.proxmox.handlers_guest import STALE_DIGEST, check_digest, locate
from simulators.proxmox.model import MIB, Guest, PveError, split_volume


def _clone_config(
    source: Guest, newid: int, name: str | None, storage: str | None, linked: bool, cluster: Cluster
) -> dict[str, str]:
    config = {k: v for k, v in source.config.items() if k not in ("template", "lock", "parent")}
    config["name"] = name or f"Copy-of-VM-{source.name}"
    for key, value in list(config.items()):
        if key.startswith("net"):
            model, *rest = value.split(",")  # the clone gets a MAC of its own
            config[key] = qemu_net(",".join([model.split("=", 1)[0], *rest]), None, cluster)
        elif key == source.disk_key or "cloudinit" in value:
            parts = split_volume(value)
            store, _, volname = parts.pop("volume").partition(":")
            suffix = "cloudinit" if "cloudinit" in volname else "disk-0"
            fresh = f"vm-{newid}-{suffix}"
            if linked and suffix == "disk-0":
                fresh = f"{volname}/{fresh}"
            volume = f"{storage or store}:{fresh}"
            config[key] = ",".join([volume, *(f"{k}={v}" for k, v in parts.items())])
    config["lock"] = "clone"
    return config


def clone(call: Call) -> str:
    cluster = call.cluster
    source = locate(call, "qemu")
    cluster.fault_at_call("create")
    newid = int(call.params["newid"])
    if newid in cluster.guests:
        raise PveError(500, f"unable to create VM {newid}: config file already exists")
    locked = cluster.config_locked(source)
    if locked:
        raise PveError(500, locked)
    target = call.text("target") or call.node
    target_node = cluster.nodes.get(target)
    if target_node is None:
        raise PveError(500, f"no such cluster node '{target}'")
    full = call.flag("full") if "full" in call.params else not source.template
    storage = call.text("storage")
    if storage and not full:
        raise PveError(500, "parameter 'storage' not allowed for linked clones")
    if call.text("pool"):
        raise PveError(500, f"pool '{call.text('pool')}' does not exist")
    home = source.disk_storage
    if target != call.node and home and not cluster.nodes[call.node].storages[home].shared:
        raise PveError(500, f"can't clone VM to node '{target}' (VM uses local storage)")
    storage_name = storage or home or "local-lvm"
    if storage_name not in target_node.storages:
        raise PveError(500, f"storage '{storage_name}' does not exist")
    config = _clone_config(source, newid, call.text("name"), storage, not full, cluster)
    if call.text("description"):
        config["description"] = call.params["description"]
    guest = Guest(target, newid, "qemu", config, created_at=cluster.now())
    cluster.guests[newid] = guest

    def check() -> str | None:
        store = target_node.storages[storage_name]
        need = guest.disk_bytes if full else 0
        free = store.total - cluster.storage_used(target, storage_name) + guest.disk_bytes
        if need > free:
            return (
                f"clone failed: lvcreate 'pve/vm-{newid}-disk-0' error:   "
                f'Volume group "pve" has insufficient free space'
            )
        room = target_node.memory // MIB - cluster.memory_reserved(target, besides=newid)
        if guest.memory_mib > room:
            # PVE itself would overcommit; the simulator keeps the fake's capacity rule.
            return f"clone failed: not enough memory on node '{target}'"
        return None

    def undo() -> None:
        cluster.guests.pop(newid, None)

    task = cluster.start_task(
        call.node,
        "qmclone",
        str(source.vmid),  # PVE names the source in a clone's UPID
        call.user,
        guest=guest,
        config_lock="clone",
        check=check,
        undo=undo,
        failure=cluster.fault_in_task("create"),
        flock=False,  # a template is locked shared: parallel clones of it are fine
        script=worker_logs.qemu_clone(source, newid, target_node.storages[storage_name], full),
    )
    return task.upid


def _operation(call: Call) -> str:
    """A config write that only sets the cloud-init password counts as `set_password`."""
    changed = {k for k in call.params if k not in ("node", "vmid", "digest")}
    return "set_password" if changed == {"cipassword"} else "reconfigure"


def _prepare(call: Call, guest: Guest) -> dict[str, str]:
    changes = dict(call.params)
    if "cipassword" in changes:
        plain = changes["cipassword"]
        # The user set in the same request is the one the password is for.
        user = changes.get("ciuser") or guest.config.get("ciuser", "cloud-init default user")
        guest.passwords[user] = plain
        salt = hashlib.sha256(str(guest.vmid).encode()).hexdigest()[:16]
        digest = hashlib.sha512((salt + plain).encode()).hexdigest()[:86]
        changes["cipassword"] = f"$6${salt}${digest}"
    return changes


def update_config_sync(call: Call) -> None:
    cluster = call.cluster
    guest = locate(call, "qemu")
    operation = _operation(call)
    cluster.fault_at_call(operation)
    planned = cluster.fault_in_task(operation)
    if planned is not None:
        raise PveError(500, planned)
    cluster.take_flock_now(guest)
    locked = cluster.config_locked(guest)
    if locked:
        raise PveError(500, locked)
    stale = check_digest(guest, call.text("digest"))
    if stale:
        raise PveError(500, stale)
    apply_update(guest, _prepare(call, guest), cluster)


def update_config_async(call: Call) -> str | None:
    """POST config: a `qmconfig` task. With `background_delay` the call waits for the task and
    answers null, or 500 "failed to update VM" when it failed; on the simulated clock the task
    simply ends within that wait."""
    cluster = call.cluster
    guest = locate(call, "qemu")
    operation = _operation(call)
    cluster.fault_at_call(operation)
    digest = call.text("digest")

    def check() -> str | None:
        locked = cluster.config_locked(guest)
        if locked:
            return locked
        return STALE_DIGEST if check_digest(guest, digest) else None

    def effect() -> None:
        apply_update(guest, _prepare(call, guest), cluster)

    task = cluster.start_task(
        call.node,
        "qmconfig",
        str(guest.vmid),
        call.user,
        guest=guest,
        check=check,
        effect=effect,
        failure=cluster.fault_in_task(operation),
    )
    if "background_delay" not in call.params:
        return task.upid
    cluster.finish_now(task)
    if task.running:
        return task.upid
    if not task.ok:
        raise PveError(500, f"failed to update VM {guest.vmid}: {task.exitstatus}")
    return None


def _agent_enabled(guest: Guest) -> bool:
    return guest.config.get("agent", "0").split(",")[0] in ("1", "enabled=1")


def set_user_password(call: Call) -> dict[str, Any]:
    cluster = call.cluster
    guest = locate(call, "qemu")
    cluster.fault_at_call("set_password")
    planned = cluster.fault_in_task("set_password")
    if planned is not None:
        raise PveError(500, planned)
    if guest.status != "running":
        raise PveError(500, f"VM {guest.vmid} is not running")
    if not _agent_enabled(guest):
        raise PveError(500, "No QEMU guest agent configured")
    guest.passwords[call.params["username"]] = call.params["password"]
    return {"result": {}}


def agent_ping(call: Call) -> dict[str, Any]:
    guest = locate(call, "qemu")
    if guest.status != "running":
        raise PveError(500, f"VM {guest.vmid} is not running")
    if not _agent_enabled(guest):
        raise PveError(500, "No QEMU guest agent configured")
    return {"result": {}}
