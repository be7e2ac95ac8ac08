"""Natural keys: how we recognise our objects on the firewall, since pfSense ids shift.

Every object we create carries a `descr` starting `hostprovider:`; its first word is the natural
key (two objects with one key are duplicates) and, for inbound rules, the rest is the rule's
description. Interface assignments are the exception: pfSense allows only letters, digits and `_`
in an interface description, so those are `HP_VLAN<tag>`.
"""

from __future__ import annotations

import re

import attrs

from domain.model.errors import ValidationError
from domain.model.network import FirewallRule

PREFIX = "hostprovider:"
INTERFACE_PREFIX = "HP_VLAN"
ANY_SOURCE = "0.0.0.0/0"

_VLAN = re.compile(r"^hostprovider:customer-(\d+):vlan-(\d+)$")
_MAPPING = re.compile(r"^hostprovider:mapping:([0-9a-f:]{17})$")
_RULE = re.compile(
    r"^hostprovider:server-(\d+):in:(tcp|udp|icmp)(?:/(\d+)(?:-(\d+))?)?(?::from-(\S+))?$"
)
_NAT = re.compile(r"^hostprovider:server-(\d+):1to1$")
_VIP = re.compile(r"^hostprovider:server-(\d+):vip$")
_ISOLATION = re.compile(r"^hostprovider:(?:isolate|egress):vlan-(\d+)(?::\S+)?$")
_INTERFACE = re.compile(r"^HP_VLAN(\d+)$")


def key_of(descr: str) -> str:
    """The natural key inside a descr: its first word."""
    return descr.split(" ", 1)[0]


def is_ours(descr: object) -> bool:
    return isinstance(descr, str) and descr.startswith(PREFIX)


# --- VLANs and their interfaces ------------------------------------------------------------------
def vlan_descr(customer_id: int, vlan: int) -> str:
    return f"{PREFIX}customer-{customer_id}:vlan-{vlan}"


def parse_vlan_descr(descr: str) -> tuple[int, int] | None:
    """(customer id, tag) or None."""
    match = _VLAN.match(descr)
    return (int(match[1]), int(match[2])) if match else None


def interface_descr(vlan: int) -> str:
    return f"{INTERFACE_PREFIX}{vlan}"


def parse_interface_descr(descr: object) -> int | None:
    match = _INTERFACE.match(descr) if isinstance(descr, str) else None
    return int(match[1]) if match else None


# --- DHCP static mappings ------------------------------------------------------------------------
def mapping_descr(mac_address: str) -> str:
    return f"{PREFIX}mapping:{mac_address.lower()}"


def parse_mapping_descr(descr: str) -> str | None:
    match = _MAPPING.match(descr)
    return match[1] if match else None


# --- inbound rules of a server -------------------------------------------------------------------
def server_rule_prefix(server_id: int) -> str:
    """Every descr of the server's inbound rules starts so (the colon keeps server-1 apart from
    server-10)."""
    return f"{PREFIX}server-{server_id}:in:"


def rule_key(server_id: int, rule: FirewallRule) -> str:
    ports = ""
    if rule.port_from is not None:
        ports = f"/{rule.port_from}"
        if rule.port_to != rule.port_from:
            ports += f"-{rule.port_to}"
    source = "" if rule.source == ANY_SOURCE else f":from-{rule.source}"
    return f"{server_rule_prefix(server_id)}{rule.protocol}{ports}{source}"


def rule_descr(server_id: int, rule: FirewallRule) -> str:
    key = rule_key(server_id, rule)
    return f"{key} {rule.description}" if rule.description else key


@attrs.frozen
class ParsedRule:
    server_id: int
    rule: FirewallRule


def parse_rule_descr(descr: str) -> ParsedRule | None:
    key, _, description = descr.partition(" ")
    match = _RULE.match(key)
    if not match:
        return None
    low = int(match[3]) if match[3] else None
    high = int(match[4]) if match[4] else low
    try:
        rule = FirewallRule(
            match[2], low, high, source=match[5] or ANY_SOURCE, description=description
        )
    except ValidationError:
        return None  # a hand-edited descr that no longer names a valid rule: treat as foreign
    return ParsedRule(int(match[1]), rule)


def nat_descr(server_id: int) -> str:
    return f"{PREFIX}server-{server_id}:1to1"


def parse_nat_descr(descr: str) -> int | None:
    match = _NAT.match(descr)
    return int(match[1]) if match else None


def vip_descr(server_id: int) -> str:
    """The virtual IP that holds a server's 1:1 NAT address on WAN."""
    return f"{PREFIX}server-{server_id}:vip"


def parse_vip_descr(descr: str) -> int | None:
    match = _VIP.match(descr)
    return int(match[1]) if match else None


def parse_server_descr(descr: str) -> int | None:
    """The server a 1:1 NAT mapping or virtual IP of ours belongs to."""
    nat = parse_nat_descr(descr)
    return nat if nat is not None else parse_vip_descr(descr)


# --- isolation of a customer VLAN ----------------------------------------------------------------
def isolation_descr(vlan: int, network: str) -> str:
    """Block from the VLAN's subnet to one private network."""
    return f"{PREFIX}isolate:vlan-{vlan}:{network}"


def egress_descr(vlan: int) -> str:
    """Pass from the VLAN's subnet to anywhere else (the internet), after the blocks."""
    return f"{PREFIX}egress:vlan-{vlan}"


def parse_isolation_descr(descr: str) -> int | None:
    """The VLAN an isolation or egress rule belongs to."""
    match = _ISOLATION.match(descr)
    return int(match[1]) if match else None
