"""Per-location firewall settings: how to reach the box and how its customer networks are laid out.

Addressing is the domain's plan (`domain.model.network.CustomerNetworks`), so the firewall and our
IPAM can never disagree: each customer VLAN's subnet follows from its tag, the firewall holds the
subnet's first host as the gateway and runs the small dynamic DHCP range at its top (pfSense will
not enable a DHCP server without one, and refuses a static mapping inside it with 409). What is
the firewall's own is the check that the supernet has a subnet for every tag of its VLAN range.
"""

from __future__ import annotations

import enum
import ipaddress

import attrs

from domain.model.network import CustomerNetworks, VlanRange

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
        prefix = self.networks.prefix
        subnets = 2 ** (prefix - supernet.prefixlen)
        tags = self.vlan_range.last - self.vlan_range.first + 1
        if tags > subnets:
            needed = prefix - (tags - 1).bit_length()  # the longest prefix with `tags` subnets
            longer = f"a longer subnet_prefix than {prefix}"
            fix = f"use a /{needed} supernet or larger, or {longer}" if needed >= 8 else longer
            raise ValueError(
                f"supernet {self.networks.supernet} holds {subnets} /{prefix} subnets, fewer "
                f"than the {tags} tags of the VLAN range {self.vlan_range.first}.."
                f"{self.vlan_range.last}: {fix}"
            )
        if self.public_mode is PublicAddressMode.ONE_TO_ONE_NAT and not self.public_ips:
            raise ValueError("1:1 NAT needs public_ips")

    def addressing(self, vlan: int) -> VlanAddressing:
        if not self.vlan_range.first <= vlan <= self.vlan_range.last:
            raise ValueError(f"VLAN {vlan} is outside this firewall's range")
        range_from, range_to = self.networks.dynamic_range(vlan, self.vlan_range)
        return VlanAddressing(
            subnet=self.networks.subnet_of(vlan, self.vlan_range),
            gateway=self.networks.gateway(vlan, self.vlan_range),
            range_from=range_from,
            range_to=range_to,
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
