"""The simulated cluster's parts: nodes with storages, guests with their PVE config, snapshots.

A guest keeps its configuration the way PVE stores it (`cores: 2`, `net0: name=eth0,...`), so the
API can return it as is; sizes, names and tags are read back from that config.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any
from urllib.parse import unquote

import attrs

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB
TIB = 1024 * GIB
_UNITS = {"": 1, "K": KIB, "M": MIB, "G": GIB, "T": TIB}
_SIZE = re.compile(r"^(\d+(?:\.\d+)?)([KMGT]?)$")
QEMU_DISK_KEYS = tuple(f"{bus}{i}" for bus in ("scsi", "virtio", "sata", "ide") for i in range(31))


class PveError(Exception):
    """What the API answers instead of data: the status, the message (the HTTP reason phrase
    and, since pve-http-server 5.2, the body's `message`) and the 400 `errors` per parameter."""

    def __init__(self, status: int, message: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors


def parse_size(text: str) -> int:
    """`10G`, `512M`, `1.5T`, or bytes without a unit."""
    found = _SIZE.match(text)
    if found is None:
        raise ValueError(f"unable to parse size '{text}'")
    return int(float(found.group(1)) * _UNITS[found.group(2)])


def format_size(size: int) -> str:
    for unit in ("T", "G", "M", "K"):
        if size % _UNITS[unit] == 0 and size >= _UNITS[unit]:
            return f"{size // _UNITS[unit]}{unit}"
    return str(size)


def parse_loose(value: str) -> dict[str, str]:
    """`virtio=MAC,bridge=vmbr0,tag=5` -> {"virtio": MAC, ...}; a bare first part is "model"."""
    parts: dict[str, str] = {}
    for part in value.split(","):
        key, sep, text = part.partition("=")
        if sep:
            parts[key] = text
        elif part:
            parts["model"] = part
    return parts


def split_volume(volume: str) -> dict[str, str]:
    """`local-lvm:vm-100-disk-0,size=8G` -> {"volume": ..., "size": "8G"} (first part bare)."""
    first, *rest = volume.split(",")
    parts = {"volume": first.split("=", 1)[1] if first.startswith(("volume=", "file=")) else first}
    for part in rest:
        key, _, value = part.partition("=")
        parts[key] = value
    return parts


@attrs.define
class Storage:
    name: str
    kind: str  # "dir", "lvmthin"
    content: frozenset[str]
    total: int  # bytes
    shared: bool = False
    volumes: dict[str, int] = attrs.field(factory=dict)  # volid -> size (templates, ISOs)


@attrs.define
class Node:
    name: str
    cores: int
    memory: int  # bytes
    storages: dict[str, Storage]
    online: bool = True
    boot_time: dt.datetime | None = None


@attrs.define
class Snapshot:
    name: str
    description: str
    snaptime: int
    parent: str | None
    config: dict[str, str]
    vmstate: bool = False


@attrs.define
class Guest:
    node: str
    vmid: int
    kind: str  # "lxc" or "qemu"
    config: dict[str, str]
    status: str = "stopped"
    started_at: dt.datetime | None = None
    pending: dict[str, str] = attrs.field(factory=dict)  # QEMU changes waiting for a restart
    snapshots: dict[str, Snapshot] = attrs.field(factory=dict)
    usage: dict[str, float] = attrs.field(factory=dict)
    passwords: dict[str, str] = attrs.field(factory=dict)  # user -> password the guest knows
    ssh_keys: str | None = None  # LXC `ssh-public-keys` given at create
    created_at: dt.datetime | None = None

    @property
    def label(self) -> str:
        """How PVE names the guest in messages: "CT" for containers, "VM" for QEMU."""
        return "CT" if self.kind == "lxc" else "VM"

    @property
    def name(self) -> str:
        key = "hostname" if self.kind == "lxc" else "name"
        return self.config.get(key, f"{self.label}{self.vmid}")

    @property
    def lock(self) -> str | None:
        return self.config.get("lock")

    @property
    def template(self) -> bool:
        return self.config.get("template") == "1"

    @property
    def tags(self) -> list[str]:
        return [t for t in re.split(r"[;, ]+", self.config.get("tags", "")) if t]

    @property
    def cores(self) -> int:
        sockets = int(self.config.get("sockets", "1")) if self.kind == "qemu" else 1
        return int(self.config.get("cores", "1")) * sockets

    @property
    def memory_mib(self) -> int:
        text = self.config.get("memory", "512")
        return int(text.split("=", 1)[1] if text.startswith("current=") else text)

    @property
    def disk_key(self) -> str | None:
        if self.kind == "lxc":
            return "rootfs" if "rootfs" in self.config else None
        for key in QEMU_DISK_KEYS:
            value = self.config.get(key)
            if value and "media=cdrom" not in value and "cloudinit" not in value:
                return key
        return None

    @property
    def disk_bytes(self) -> int:
        key = self.disk_key
        if key is None:
            return 0
        size = split_volume(self.config[key]).get("size")
        return parse_size(size) if size else 0

    @property
    def disk_storage(self) -> str | None:
        key = self.disk_key
        return split_volume(self.config[key])["volume"].split(":", 1)[0] if key else None

    def digest(self) -> str:
        text = "".join(f"{k}: {v}\n" for k, v in sorted(self.config.items()))
        return hashlib.sha1(text.encode()).hexdigest()

    def uptime(self, now: dt.datetime) -> int:
        if self.status != "running" or self.started_at is None:
            return 0
        return max(int((now - self.started_at).total_seconds()), 0)

    def power(self, running: bool, now: dt.datetime) -> None:
        if running and self.status != "running":
            self.started_at = now
        if not running:
            self.started_at = None
        self.status = "running" if running else "stopped"

    def describe(self) -> dict[str, Any]:
        """A plain snapshot for test assertions (nothing here is live)."""
        return {
            "vmid": self.vmid,
            "node": self.node,
            "type": self.kind,
            "name": self.name,
            "status": self.status,
            "template": self.template,
            "lock": self.lock,
            "cores": self.cores,
            "memory_mib": self.memory_mib,
            "disk_gib": self.disk_bytes // GIB
            if self.disk_bytes % GIB == 0
            else self.disk_bytes / GIB,
            "tags": self.tags,
            "config": dict(self.config),
            "pending": dict(self.pending),
            "passwords": dict(self.passwords),
            "ssh_keys": self.ssh_keys or unquote(self.config.get("sshkeys", "")) or None,
            "networks": {
                key: parse_loose(value)
                for key, value in sorted(self.config.items())
                if re.fullmatch(r"(net|ipconfig)\d+", key)
            },
            "snapshots": list(self.snapshots),
        }
