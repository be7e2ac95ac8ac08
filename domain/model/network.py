"""Addressing rules: IP pools per location, locally-administered MACs, one VLAN per customer.

The rules are pure: given what is taken, choose the next free thing. Uniqueness under concurrency is
the network repository's promise (a unique constraint in PostgreSQL, the serialized store in
memory).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Collection

import attrs

from domain.model.errors import CapacityExhausted, ValidationError

# 02:xx:... is a locally administered, unicast address: never collides with a vendor's burned-in
# MAC.
MAC_PREFIX = (0x02, 0x48, 0x50)
MAC_SPACE = 1 << 24


@attrs.frozen
class IpPool:
    location_id: int
    cidr: str
    gateway: str
    reserved: frozenset[str] = frozenset()

    def __attrs_post_init__(self) -> None:
        network = ipaddress.ip_network(self.cidr, strict=True)
        if ipaddress.ip_address(self.gateway) not in network:
            raise ValueError(f"gateway {self.gateway} is outside {self.cidr}")

    @property
    def prefix_length(self) -> int:
        return ipaddress.ip_network(self.cidr).prefixlen

    def next_free(self, taken: Collection[str]) -> str:
        """The lowest usable address not taken, not the gateway and not reserved."""
        blocked = set(taken) | set(self.reserved) | {self.gateway}
        for host in ipaddress.ip_network(self.cidr).hosts():
            text = str(host)
            if text not in blocked:
                return text
        raise CapacityExhausted(f"no free address left in {self.cidr}", pool=self.cidr)


def mac_address(sequence: int) -> str:
    """The MAC for the n-th allocation: stable, unique within the 24-bit space, locally
    administered."""
    if not 0 <= sequence < MAC_SPACE:
        raise CapacityExhausted("the MAC address space is exhausted")
    octets = (*MAC_PREFIX, (sequence >> 16) & 0xFF, (sequence >> 8) & 0xFF, sequence & 0xFF)
    return ":".join(f"{o:02x}" for o in octets)


@attrs.frozen
class VlanRange:
    first: int = 100
    last: int = 3999

    def __attrs_post_init__(self) -> None:
        if not 1 < self.first <= self.last < 4095:
            raise ValueError("VLAN ids are 2..4094")

    def next_free(self, taken: Collection[int]) -> int:
        used = set(taken)
        for tag in range(self.first, self.last + 1):
            if tag not in used:
                return tag
        raise CapacityExhausted("no free VLAN left", first=self.first, last=self.last)


@attrs.frozen
class FirewallRule:
    """An inbound allow rule for one server: protocol, port or port range, source network."""

    protocol: str  # "tcp", "udp" or "icmp"
    port_from: int | None
    port_to: int | None
    source: str = "0.0.0.0/0"
    description: str = ""

    def __attrs_post_init__(self) -> None:
        if self.protocol not in ("tcp", "udp", "icmp"):
            raise ValidationError("protocol", "must be tcp, udp or icmp")
        if self.protocol == "icmp":
            if self.port_from is not None or self.port_to is not None:
                raise ValidationError("port", "is not used with icmp")
        else:
            if self.port_from is None or self.port_to is None:
                raise ValidationError("port", f"is required with {self.protocol}")
            if not 1 <= self.port_from <= self.port_to <= 65535:
                raise ValidationError("port", "must be within 1..65535, low end first")
        try:
            ipaddress.ip_network(self.source, strict=False)
        except ValueError:
            raise ValidationError("source", "must be an address or a CIDR network") from None


DEFAULT_INBOUND = (
    FirewallRule("tcp", 22, 22, description="ssh"),
    FirewallRule("tcp", 80, 80, description="http"),
    FirewallRule("tcp", 443, 443, description="https"),
)
