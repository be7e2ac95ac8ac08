"""Writing a guest's config the way PVE does: `delete=` removes keys, NICs get a MAC when none
is given (PVE 8 uses the Proxmox OUI BC:24:11), and a running QEMU guest keeps CPU and memory
changes pending until it is restarted through the API."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from simulators.proxmox.cluster import Cluster
from simulators.proxmox.model import Guest
from simulators.proxmox.propstrings import split_parts

# Parameters that steer the update itself and are never stored.
CONTROL_KEYS = frozenset(
    {"node", "vmid", "delete", "revert", "digest", "skiplock", "background_delay", "force"}
)
# QEMU keys that cannot be hot-plugged with the default `hotplug` (network,disk,usb).
QEMU_COLD_KEYS = frozenset({"cores", "sockets", "vcpus", "memory", "balloon", "cpu", "numa"})
QEMU_MODELS = frozenset(
    {
        "e1000",
        "e1000-82540em",
        "e1000-82544gc",
        "e1000-82545em",
        "e1000e",
        "i82551",
        "i82557b",
        "i82559er",
        "ne2k_isa",
        "ne2k_pci",
        "pcnet",
        "rtl8139",
        "virtio",
        "vmxnet3",
    }
)
_NET_KEY = re.compile(r"^net\d+$")


def lxc_net(value: str, previous: str | None, cluster: Cluster) -> str:
    parts = dict((k or "name", v) for k, v in split_parts(value))
    if "hwaddr" not in parts:
        old = dict((k or "name", v) for k, v in split_parts(previous)) if previous else {}
        parts["hwaddr"] = old.get("hwaddr") or cluster.new_mac()
    parts.setdefault("type", "veth")
    order = ["name", "bridge", "firewall", "gw", "gw6", "hwaddr", "ip", "ip6", "link_down"]
    order += ["mtu", "rate", "tag", "trunks", "type"]
    return ",".join(f"{k}={parts[k]}" for k in sorted(parts, key=_ranked(order)))


def qemu_net(value: str, previous: str | None, cluster: Cluster) -> str:
    """`virtio,bridge=vmbr0` or `model=virtio,macaddr=...` becomes `virtio=MAC,bridge=vmbr0`."""
    model, mac, rest = None, None, {}
    for key, text in split_parts(value):
        if key is None or key == "model":
            model = text
        elif key in QEMU_MODELS:
            model, mac = key, text
        elif key == "macaddr":
            mac = text
        else:
            rest[key] = text
    if mac is None and previous:
        mac = next((v for k, v in split_parts(previous) if k in QEMU_MODELS), None)
    first = f"{model}={mac or cluster.new_mac()}"
    return ",".join([first, *(f"{k}={rest[k]}" for k in sorted(rest))])


def _ranked(order: list[str]) -> Callable[[str], tuple[int, str]]:
    return lambda key: (order.index(key) if key in order else len(order), key)


def stored_value(guest: Guest, key: str, value: str, cluster: Cluster) -> str:
    if _NET_KEY.match(key):
        previous = guest.config.get(key)
        return (lxc_net if guest.kind == "lxc" else qemu_net)(value, previous, cluster)
    return value


def apply_update(guest: Guest, params: Mapping[str, str], cluster: Cluster) -> None:
    """Write the changed keys; on a running QEMU guest the cold ones wait in `pending`."""
    cold = guest.kind == "qemu" and guest.status == "running"
    if params.get("revert"):
        for key in re.split(r"[,;\s]+", params["revert"]):
            guest.pending.pop(key, None)
    for key, value in params.items():
        if key in CONTROL_KEYS:
            continue
        stored = stored_value(guest, key, value, cluster)
        if cold and key in QEMU_COLD_KEYS:
            guest.pending[key] = stored
        else:
            guest.config[key] = stored
    for key in re.split(r"[,;\s]+", params.get("delete", "")):
        if key:
            guest.config.pop(key, None)
            guest.pending.pop(key, None)
