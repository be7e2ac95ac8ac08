"""A customer's own inbound firewall: which rule lists they may put on one of their servers.

Each rule becomes a FirewallRule (domain/model/network.py); this module adds what a customer's list
must satisfy on top of that: a bounded count and description, canonical sources, no repeats, and no
rule that names the provider's customer ranges, where other customers' servers live. Errors name the
offending field the way the API spells it (`rules.3.source`), so a client learns what to fix.
"""

from __future__ import annotations

import ipaddress
import unicodedata
from collections.abc import Collection, Sequence

import attrs

from domain.model.errors import RuleViolation, ValidationError
from domain.model.network import FirewallRule

MAX_RULES = 50
MAX_DESCRIPTION = 100
PROTOCOLS = ("tcp", "udp", "icmp")
ANY_IPV4 = "0.0.0.0/0"


@attrs.frozen
class RuleRequest:
    """One rule as a customer sent it, before it is checked against the others and the
    provider's networks."""

    protocol: str
    from_port: int | None = None
    to_port: int | None = None  # None: the same as from_port, a single port
    source: str | None = None  # None: anyone
    description: str | None = None


def customer_rules(
    requested: Sequence[RuleRequest], *, customer_networks: Collection[str]
) -> tuple[FirewallRule, ...]:
    """The rules a customer asked for, checked and in canonical form, in the order given.

    An empty list is allowed: it closes every inbound port. `customer_networks` are the provider's
    IPv4 ranges for customer servers; a source inside or around one of them would let other
    customers in."""
    if len(requested) > MAX_RULES:
        raise ValidationError(
            "rules", f"may hold at most {MAX_RULES} rules, not {len(requested)}", limit=MAX_RULES
        )
    networks = (ipaddress.ip_network(cidr) for cidr in customer_networks)
    protected = [n for n in networks if isinstance(n, ipaddress.IPv4Network)]
    rules: list[FirewallRule] = []
    seen: dict[tuple[str, int | None, int | None, str], int] = {}
    for index, wanted in enumerate(requested):
        rule = _rule(index, wanted, protected)
        key = (rule.protocol, rule.port_from, rule.port_to, rule.source)
        if key in seen:
            raise RuleViolation(
                f"rules.{index}", f"repeats rules.{seen[key]}", duplicate_of=seen[key]
            )
        seen[key] = index
        rules.append(rule)
    return tuple(rules)


def _rule(index: int, wanted: RuleRequest, protected: list[ipaddress.IPv4Network]) -> FirewallRule:
    field = f"rules.{index}"
    if wanted.protocol not in PROTOCOLS:
        raise ValidationError(f"{field}.protocol", "must be tcp, udp or icmp")
    protocol = wanted.protocol
    port_from, port_to = _ports(field, protocol, wanted.from_port, wanted.to_port)
    return FirewallRule(
        protocol,
        port_from,
        port_to,
        source=_source(f"{field}.source", wanted.source, protected),
        description=_description(f"{field}.description", wanted.description),
    )


def _ports(
    field: str, protocol: str, low: int | None, high: int | None
) -> tuple[int | None, int | None]:
    if protocol == "icmp":
        # ICMP has message types, not ports: a port here is a misunderstanding worth reporting.
        if low is not None or high is not None:
            name = "fromPort" if low is not None else "toPort"
            raise ValidationError(f"{field}.{name}", "is not used with icmp")
        return None, None
    if low is None:
        raise ValidationError(f"{field}.fromPort", f"is required with {protocol}")
    first = _port(f"{field}.fromPort", low)
    last = first if high is None else _port(f"{field}.toPort", high)
    if last < first:
        raise RuleViolation(f"{field}.toPort", f"must not be below fromPort ({first})")
    return first, last


def _port(field: str, value: int) -> int:
    if not 1 <= value <= 65535:
        raise ValidationError(field, "must be a whole number within 1..65535")
    return value


def _source(field: str, value: str | None, protected: list[ipaddress.IPv4Network]) -> str:
    if value is None:
        return ANY_IPV4
    if not value.strip():
        raise ValidationError(field, "must be an IPv4 address or network in CIDR form")
    text = value.strip()
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise ValidationError(
            field, "must be an IPv4 address or network in CIDR form, such as 203.0.113.0/24"
        ) from None
    if not isinstance(network, ipaddress.IPv4Network):
        # Servers are reached on IPv4 alone: an IPv6 source would never match anything.
        raise ValidationError(field, "must be IPv4: servers have no IPv6 address")
    if network.network_address != ipaddress.ip_interface(text).ip:
        # 203.0.113.7/24 is most likely a typo for one host or for the whole network: ask which.
        raise RuleViolation(
            field, f"has host bits set; the network is {network}, a single address is given alone"
        )
    for pool in protected:
        # The whole address space (anyone) is the usual default and stays allowed: the fabric's
        # isolation rule for the customer VLANs ranks above every customer rule.
        # The message names the caller's own network alone: which of the pools it met (another
        # customer's subnet, say) is not the caller's to learn.
        if network.prefixlen > 0 and network.overlaps(pool):
            raise RuleViolation(
                field, f"{network} reaches into addresses where other customers' servers live"
            )
    return str(network)


def _description(field: str, value: str | None) -> str:
    if value is None:
        return ""
    if len(value) > MAX_DESCRIPTION:
        raise ValidationError(field, f"may be at most {MAX_DESCRIPTION} characters")
    # Control and invisible formatting characters would garble the firewall's rule list and logs.
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in value):
        raise ValidationError(field, "may not contain control or invisible characters")
    return value.strip()
