"""A small pf rule evaluator for the tests: which rule decides a packet entering an interface.

pfSense filters a packet on the interface it enters, first matching rule wins (its rules are
`quick`), and nothing matching means blocked. Addresses in a rule are `any`, an address, a CIDR
or an interface id (that interface's subnet).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from typing import Any

import attrs


@attrs.frozen
class Packet:
    interface: str  # interface id where the packet enters
    source: str
    destination: str
    protocol: str = "tcp"
    port: int | None = 22


def decide(
    packet: Packet, rules: Iterable[Mapping[str, Any]], interfaces: Iterable[Mapping[str, Any]]
) -> str:
    """ "pass" or "block"."""
    subnets = {
        str(i["id"]): ipaddress.IPv4Network(f"{i['ipaddr']}/{i['subnet']}", strict=False)
        for i in interfaces
        if i.get("typev4") == "static"
    }
    for rule in sorted(rules, key=lambda r: int(r["id"])):
        if rule.get("disabled") or packet.interface not in (rule.get("interface") or []):
            continue
        if rule.get("ipprotocol") not in ("inet", "inet46"):
            continue
        if not _protocol_matches(rule, packet):
            continue
        if _address_matches(rule["source"], packet.source, subnets) and _address_matches(
            rule["destination"], packet.destination, subnets
        ):
            return "block" if rule["type"] in ("block", "reject") else "pass"
    return "block"


def _protocol_matches(rule: Mapping[str, Any], packet: Packet) -> bool:
    protocol = rule.get("protocol")
    if protocol is None:
        return True
    if packet.protocol not in str(protocol).split("/"):
        return False
    ports = rule.get("destination_port")
    if packet.protocol == "icmp" or not ports:
        return True
    low, _, high = str(ports).partition(":")
    return packet.port is not None and int(low) <= packet.port <= int(high or low)


def _address_matches(spec: str, address: str, subnets: Mapping[str, ipaddress.IPv4Network]) -> bool:
    inverted = spec.startswith("!")
    spec = spec.lstrip("!")
    if spec == "any":
        hit = True
    elif spec in subnets:
        hit = ipaddress.IPv4Address(address) in subnets[spec]
    else:
        hit = ipaddress.IPv4Address(address) in ipaddress.IPv4Network(spec, strict=False)
    return hit != inverted
