"""Per-location firewall settings: how to reach the box and how its customer networks are laid out.

Addressing: every customer VLAN gets its own subnet, carved from `CustomerNetworks.supernet` by the
tag's position in the VLAN range (tag `first` -> subnet 0). The firewall holds the subnet's first
host as the gateway and runs a small dynamic DHCP range at its top (pfSense will not enable a DHCP
server without one); the control plane's IPAM must hand out addresses from the rest, because a
static mapping inside the dynamic range is refused with 409.
"""

from __future__ import annotations

import enum
import ipaddress

import attrs

from domain.model.network import VlanRange

RFC1918 = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")


class PublicAddressMode(enum.Enum):
    ROUTED = "routed"  # the servers' addresses are routed to the firewall: rules only
    ONE_TO_ONE_NAT = "one_to_one_nat"  # each server gets a public address by 1:1 NAT on WAN


@attrs.frozen
class TlsSettings:
    """`ca_file` verifies the firewall's certificate against a private CA; `fingerprint_sha256`
    pins a self-signed certificate (the pfSense default) instead of trusting no one; plain HTTP
    needs neither."""

    ca_file: str | None = None
    fingerprint_sha256: str | None = None

    def __attrs_post_init__(self) -> None:
        if self.ca_file and self.fingerprint_sha256:
            raise ValueError("give a CA file or a certificate fingerprint, not both")


@attrs.frozen
class Timeouts:
    connect: float = 5.0
    read: float = 60.0  # a filter reload on a big rule set takes a while
    apply_wait: float = 120.0  # how long `apply` waits for the firewall to report it applied


@attrs.frozen
class CustomerNetworks:
    supernet: str  # e.g. "10.20.0.0/16"
    prefix: int = 24  # each VLAN's subnet
    dynamic_hosts: int = 8  # the top hosts of each subnet form DHCP's dynamic range

    def __attrs_post_init__(self) -> None:
        network = ipaddress.IPv4Network(self.supernet)
        if not network.prefixlen <= self.prefix <= 29:
            raise ValueError(f"a /{self.prefix} does not fit in {self.supernet} (or is too small)")
        if not 1 <= self.dynamic_hosts < 2 ** (32 - self.prefix) - 3:
            raise ValueError("the dynamic range must leave room for the gateway and servers")


@attrs.frozen
class VlanAddressing:
    subnet: ipaddress.IPv4Network
    gateway: str
    range_from: str
    range_to: str


@attrs.frozen
class FirewallSite:
    url: str  # "https://fw1.example.net" (the API lives under /api/v2)
    api_key: str
    networks: CustomerNetworks
    vlan_range: VlanRange = VlanRange()
    trunk: str = "vtnet1"  # the parent NIC that carries the customer VLANs
    wan: str = "wan"  # interface id of the uplink, where inbound rules and 1:1 NAT live
    public_mode: PublicAddressMode = PublicAddressMode.ROUTED
    public_ips: tuple[str, ...] = ()  # for 1:1 NAT: the addresses the firewall may hand out
    isolated_networks: tuple[str, ...] = RFC1918  # what a customer VLAN may never reach
    tls: TlsSettings = TlsSettings()
    timeouts: Timeouts = Timeouts()

    def __attrs_post_init__(self) -> None:
        supernet = ipaddress.IPv4Network(self.networks.supernet)
        subnets = 2 ** (self.networks.prefix - supernet.prefixlen)
        if self.vlan_range.last - self.vlan_range.first + 1 > subnets:
            raise ValueError(
                f"{self.networks.supernet} holds {subnets} /{self.networks.prefix} subnets, fewer "
                f"than the VLAN range {self.vlan_range.first}..{self.vlan_range.last}"
            )
        if self.public_mode is PublicAddressMode.ONE_TO_ONE_NAT and not self.public_ips:
            raise ValueError("1:1 NAT needs public_ips")

    def addressing(self, vlan: int) -> VlanAddressing:
        if not self.vlan_range.first <= vlan <= self.vlan_range.last:
            raise ValueError(f"VLAN {vlan} is outside this firewall's range")
        supernet = ipaddress.IPv4Network(self.networks.supernet)
        size = 2 ** (32 - self.networks.prefix)
        start = supernet.network_address + (vlan - self.vlan_range.first) * size
        subnet = ipaddress.IPv4Network(f"{start}/{self.networks.prefix}")
        first = subnet.network_address + 1
        last = subnet.broadcast_address - 1
        return VlanAddressing(
            subnet=subnet,
            gateway=str(first),
            range_from=str(last - (self.networks.dynamic_hosts - 1)),
            range_to=str(last),
        )

    def vlan_of(self, ip_address: str) -> int | None:
        """The VLAN whose subnet holds the address."""
        supernet = ipaddress.IPv4Network(self.networks.supernet)
        address = ipaddress.IPv4Address(ip_address)
        if address not in supernet:
            return None
        index = (int(address) - int(supernet.network_address)) >> (32 - self.networks.prefix)
        vlan = self.vlan_range.first + index
        return vlan if vlan <= self.vlan_range.last else None
