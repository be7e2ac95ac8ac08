"""PVE's named string formats (`format: "mac-addr"`, `"pve-tag-list"`...) that our requests use.

Formats the simulator does not know are accepted: the endpoints it serves do not send them.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from typing import Any

from simulators.proxmox.propstrings import PropertyStringError, parse_property_string

Checker = Callable[[Mapping[str, Any], str], "str | None"]

_LABEL = r"[a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?"
_DNS_NAME = re.compile(rf"^(?:{_LABEL}\.)*{_LABEL}$")
_NODE = re.compile(rf"^{_LABEL}$")
_TAG = re.compile(r"^[a-z0-9_][a-z0-9_\-+.]*$", re.IGNORECASE)
_CONFIG_ID = re.compile(r"^[a-z][a-z0-9_-]+$", re.IGNORECASE)
_STORAGE_ID = re.compile(r"^[a-z][a-z0-9\-_.]*[a-z0-9]$", re.IGNORECASE)
_VOLUME_ID = re.compile(r"^[a-z][a-z0-9\-_.]*[a-z0-9]:.+$", re.IGNORECASE)
_POOL_ID = re.compile(r"^[A-Za-z0-9_\-]+$")
_MAC = re.compile(r"^[a-f0-9][02468ace](?::[a-f0-9]{2}){5}$", re.IGNORECASE)
_BRIDGE = re.compile(r"^[-_.\w]+$")
_URLENCODED = re.compile(r"^[-%a-zA-Z0-9_.!~*'()]*$")
_DISK_SIZE = re.compile(r"^\d+(\.\d+)?[KMGT]?$")
_LIST_SEPARATORS = re.compile(r"[;,\s]+")

# qemu-server's `pve-qm-ipconfig` is a property string the schema only names.
IPCONFIG_FORMAT: dict[str, dict[str, Any]] = {
    "ip": {"type": "string", "format": "pve-ipv4-config", "optional": 1},
    "gw": {"type": "string", "format": "ipv4", "optional": 1},
    "ip6": {"type": "string", "format": "pve-ipv6-config", "optional": 1},
    "gw6": {"type": "string", "format": "ipv6", "optional": 1},
}


def _is_ip(value: str, version: int | None = None) -> bool:
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return False
    return version is None or address.version == version


def _is_cidr(value: str, version: int | None = None) -> bool:
    if "/" not in value:
        return False
    try:
        interface = ipaddress.ip_interface(value)
    except ValueError:
        return False
    return version is None or interface.version == version


def _items(value: str) -> list[str]:
    return [item for item in _LIST_SEPARATORS.split(value) if item]


def _check_simple(fmt: str, value: str) -> str | None:
    if fmt == "pve-node":
        return None if _NODE.match(value) else "value does not look like a valid node name"
    if fmt == "dns-name":
        return None if _DNS_NAME.match(value) else "value does not look like a valid DNS name"
    if fmt == "dns-name-list":
        bad = [item for item in _items(value) if not _DNS_NAME.match(item)]
        return f"value '{bad[0]}' does not look like a valid DNS name" if bad else None
    if fmt == "pve-tag-list":
        bad = [item for item in _items(value) if not _TAG.match(item)]
        return f"invalid tag '{bad[0]}'" if bad or not _items(value) else None
    if fmt == "pve-configid":
        return None if _CONFIG_ID.match(value) else f"invalid configuration ID '{value}'"
    if fmt == "pve-configid-list":
        bad = [item for item in _items(value) if not _CONFIG_ID.match(item)]
        return f"invalid configuration ID '{bad[0]}'" if bad else None
    if fmt == "pve-storage-id":
        ok = bool(_STORAGE_ID.match(value))
        return None if ok else f"storage ID '{value}' contains illegal characters"
    if fmt == "pve-volume-id":
        ok = bool(_VOLUME_ID.match(value)) or value.startswith("/")
        return None if ok else f"unable to parse volume ID '{value}'"
    if fmt == "pve-poolid":
        return None if _POOL_ID.match(value) else "value does not look like a valid pool name"
    if fmt == "mac-addr":
        ok = bool(_MAC.match(value))
        return None if ok else "value does not look like a valid unicast MAC address"
    if fmt in ("ipv4", "ipv6", "ip"):
        version = {"ipv4": 4, "ipv6": 6}.get(fmt)
        ok = _is_ip(value, version)
        return None if ok else f"value does not look like a valid {fmt.upper()} address"
    if fmt in ("CIDR", "IPv4CIDR", "IPv6CIDR", "cidr"):
        return None if _is_cidr(value) else "value does not look like a valid CIDR network"
    if fmt == "pve-ipv4-config":
        ok = value in ("dhcp", "manual") or _is_cidr(value, 4)
        return None if ok else "value does not look like a valid ipv4 network configuration"
    if fmt == "pve-ipv6-config":
        ok = value in ("auto", "dhcp", "manual") or _is_cidr(value, 6)
        return None if ok else "value does not look like a valid ipv6 network configuration"
    if fmt in ("address-list", "lxc-ip-with-ll-iface-list"):
        bad = [item for item in _items(value) if not _is_ip(item.split("%", 1)[0])]
        return f"value '{bad[0]}' does not look like a valid IP address" if bad else None
    if fmt == "pve-bridge-id":
        return None if _BRIDGE.match(value) else f"invalid bridge name '{value}'"
    if fmt == "urlencoded":
        return None if _URLENCODED.match(value) else f"invalid urlencoded string: {value}"
    if fmt == "disk-size":
        return None if _DISK_SIZE.match(value) else "unable to parse size"
    return None


def check_named_format(fmt: str, value: str, *, check: Checker) -> str | None:
    if fmt == "pve-qm-ipconfig":
        try:
            parse_property_string(value, IPCONFIG_FORMAT, check=check)
        except PropertyStringError as failure:
            return failure.render()
        return None
    problem = _check_simple(fmt, value)
    return None if problem is None else f"invalid format - {problem}"
