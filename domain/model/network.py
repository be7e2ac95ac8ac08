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
class CustomerNetworks:
    """How a location's private address space is cut into one subnet per customer VLAN.

    A customer's servers share their VLAN, and a VLAN is an interface on the firewall: it needs a
    subnet of its own (no two interfaces may overlap), so the subnet follows from the tag: the tag's
    position in the VLAN range picks the n-th `/prefix` of the supernet. The subnet's first host
    is the gateway (the firewall's address on the VLAN); its top `dynamic_hosts` hosts are left to
    the firewall's DHCP dynamic range, which it insists on having; servers get the rest, always
    from our own records."""

    supernet: str  # e.g. "10.20.0.0/16"
    prefix: int = 24
    dynamic_hosts: int = 8

    def __attrs_post_init__(self) -> None:
        network = ipaddress.IPv4Network(self.supernet)
        if not network.prefixlen <= self.prefix <= 29:
            raise ValueError(f"a /{self.prefix} per VLAN does not fit {self.supernet}")
        if not 1 <= self.dynamic_hosts < 2 ** (32 - self.prefix) - 3:
            raise ValueError("the dynamic range must leave room for the gateway and servers")

    def subnet_of(self, vlan: int, vlans: VlanRange) -> ipaddress.IPv4Network:
        network = ipaddress.IPv4Network(self.supernet)
        index = vlan - vlans.first
        count = 2 ** (self.prefix - network.prefixlen)
        if not (vlans.first <= vlan <= vlans.last and index < count):
            raise CapacityExhausted(f"VLAN {vlan} has no subnet left in {self.supernet}", vlan=vlan)
        size = 2 ** (32 - self.prefix)
        return ipaddress.IPv4Network((int(network.network_address) + index * size, self.prefix))

    def dynamic_range(self, vlan: int, vlans: VlanRange) -> tuple[str, str]:
        """The first and last address the firewall's DHCP may lease on its own."""
        last = self.subnet_of(vlan, vlans).broadcast_address - 1
        return str(last - (self.dynamic_hosts - 1)), str(last)

    def gateway(self, vlan: int, vlans: VlanRange) -> str:
        """The firewall's address on the VLAN: its subnet's first host."""
        return str(self.subnet_of(vlan, vlans).network_address + 1)

    def pool_for(self, location_id: int, vlan: int, vlans: VlanRange) -> IpPool:
        subnet = self.subnet_of(vlan, vlans)
        low, high = (ipaddress.IPv4Address(a) for a in self.dynamic_range(vlan, vlans))
        dynamic = frozenset(str(ipaddress.IPv4Address(a)) for a in range(int(low), int(high) + 1))
        return IpPool(location_id, str(subnet), self.gateway(vlan, vlans), dynamic)


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
