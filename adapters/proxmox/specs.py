"""The PVE property strings and parameter values a guest's spec turns into (net0, rootfs,
ipconfig0, tags, sshkeys) and the sizes read back from a config."""

from __future__ import annotations

import re
from urllib.parse import quote

from ports.hypervisor import GuestSpec

MIB = 1024 * 1024
GIB = 1024 * MIB
_UNITS = {"": 1, "K": 1024, "M": MIB, "G": GIB, "T": 1024 * GIB}
_SIZE = re.compile(r"(?:^|,)size=(\d+(?:\.\d+)?)([KMGT]?)(?:,|$)")


def _vlan_tag(vlan: int) -> str | None:
    # VLAN 0 means untagged; PVE takes tags 1..4094.
    return f"tag={vlan}" if vlan else None


def lxc_net0(spec: GuestSpec, bridge: str) -> str:
    parts = [
        "name=eth0",
        f"bridge={bridge}",
        f"hwaddr={spec.mac_address.upper()}",
        _vlan_tag(spec.vlan),
        f"ip={spec.ip_address}",
        f"gw={spec.gateway}" if spec.gateway else None,
    ]
    return ",".join(p for p in parts if p)


def qemu_net0(spec: GuestSpec, bridge: str) -> str:
    parts = [f"virtio={spec.mac_address.upper()}", f"bridge={bridge}", _vlan_tag(spec.vlan)]
    return ",".join(p for p in parts if p)


def ipconfig0(spec: GuestSpec) -> str:
    parts = [f"ip={spec.ip_address}", f"gw={spec.gateway}" if spec.gateway else None]
    return ",".join(p for p in parts if p)


def rootfs(storage: str, disk_gib: int) -> str:
    # STORAGE:SIZE allocates a new volume of SIZE GiB on that storage.
    return f"{storage}:{disk_gib}"


def tags(values: tuple[str, ...]) -> str:
    return ";".join(values)


def parse_tags(value: object) -> tuple[str, ...]:
    text = str(value or "")
    return tuple(t for t in re.split(r"[;, ]+", text) if t)


def lxc_ssh_keys(keys: tuple[str, ...]) -> str | None:
    """`ssh-public-keys` for an LXC create: plain OpenSSH lines."""
    return "\n".join(keys) if keys else None


def qemu_ssh_keys(keys: tuple[str, ...]) -> str | None:
    """`sshkeys` for cloud-init: PVE wants it percent-encoded (format `urlencoded`), spaces
    and newlines included."""
    return quote("\n".join(keys), safe="") if keys else None


def nameservers(values: tuple[str, ...]) -> str | None:
    return " ".join(values) if values else None


def disk_size_bytes(volume: object) -> int | None:
    """The `size=` of a disk property string (`local-lvm:vm-101-disk-0,size=8G`)."""
    found = _SIZE.search(str(volume or ""))
    if found is None:
        return None
    return int(float(found.group(1)) * _UNITS[found.group(2)])


def disk_gib(volume: object) -> int:
    size = disk_size_bytes(volume)
    return 0 if size is None else size // GIB
