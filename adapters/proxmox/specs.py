"""What a guest's spec turns into on PVE: the property strings (net0, rootfs, ipconfig0, tags,
sshkeys), the parameters of the calls that create and configure a guest, and the sizes read back
from a config."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from adapters.proxmox.config import ProxmoxSite
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


# --- the parameters of the calls that make and shape a guest ------------------------------------


def lxc_create(spec: GuestSpec, site: ProxmoxSite) -> dict[str, object]:
    """`POST /nodes/{node}/lxc`: a new container, with its root password and keys."""
    return {
        "vmid": spec.vmid,
        "ostemplate": spec.template,
        "hostname": spec.hostname,
        "unprivileged": True,
        "rootfs": rootfs(site.storage, spec.disk_gib),
        "cores": spec.cores,
        "memory": spec.memory_mib,
        "swap": site.swap_mib,
        "net0": lxc_net0(spec, site.bridge),
        "nameserver": nameservers(site.nameservers),
        "password": spec.root_password,
        "ssh-public-keys": lxc_ssh_keys(spec.ssh_keys),
        "tags": tags(spec.tags) or None,
    }


def lxc_config(spec: GuestSpec, site: ProxmoxSite, current: Mapping[str, Any]) -> dict[str, object]:
    """`PUT .../lxc/{vmid}/config` making a container match `spec` (its password goes over SSH)."""
    values: dict[str, object] = {
        "hostname": spec.hostname,
        "cores": spec.cores,
        "memory": spec.memory_mib,
        "swap": site.swap_mib,
        "net0": lxc_net0(spec, site.bridge),
        "nameserver": nameservers(site.nameservers),
        "tags": tags(spec.tags) or None,
    }
    return _with_deletions(values, current)


def qemu_config(
    spec: GuestSpec, site: ProxmoxSite, current: Mapping[str, Any]
) -> dict[str, object]:
    """`PUT .../qemu/{vmid}/config` making a VM match `spec`, cloud-init included."""
    values: dict[str, object] = {
        "name": spec.hostname,
        "cores": spec.cores,
        "memory": spec.memory_mib,
        "net0": qemu_net0(spec, site.bridge),
        "ipconfig0": ipconfig0(spec),
        "nameserver": nameservers(site.nameservers),
        "ciuser": spec.user or site.qemu_user,
        "cipassword": spec.root_password,
        "sshkeys": qemu_ssh_keys(spec.ssh_keys),
        "tags": tags(spec.tags) or None,
        "description": None,  # a clone's marker (see clone_marker) goes once it is configured
    }
    return _with_deletions(values, current)


def clone_marker(spec: GuestSpec) -> str:
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
