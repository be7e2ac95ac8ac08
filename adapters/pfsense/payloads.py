"""The objects we want on the firewall, as the API's JSON, and how to tell whether one it holds
already is that object (by the fields we set, with interfaces compared by id)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from typing import Any

from adapters.pfsense import naming
from adapters.pfsense.config import FirewallSite
from domain.model.network import FirewallRule
from ports.network import StaticMapping

Obj = Mapping[str, Any]

RULE_FIELDS = ("type", "interface", "ipprotocol", "protocol", "source", "destination",
               "destination_port", "disabled")  # fmt: skip


class Interfaces:
    """The firewall's interface assignments (`GET /interfaces`, which shows each one's id, port and
    description) and how the API names them in other models' fields.

    `represent_as` is the REST API setting `represent_interfaces_as`: the package shows AND accepts
    an interface in a rule, a NAT mapping, a DHCP server or a virtual IP only in that form (by
    description by default; `Fields/InterfaceField.inc`), so every body names one by `ref()`."""

    def __init__(self, rows: Iterable[Obj], represent_as: str = "id") -> None:
        self.rows = {str(row["id"]): row for row in rows}
        self.represent_as = represent_as
        self._refs = {self.ref(interface_id): interface_id for interface_id in self.rows}

    def ref(self, interface_id: str) -> str:
        """The interface as the API wants it named (`InterfaceField::_from_internal()`)."""
        row = self.rows.get(interface_id)
        if row is None or self.represent_as == "id":
            return interface_id
        if self.represent_as == "if":
            return str(row.get("if"))
        return str(row.get("descr") or interface_id.upper())

    def id_of(self, ref: object) -> str | None:
        text = str(ref)
        if text in self._refs:
            return self._refs[text]
        return text if text in self.rows else None

    def ours(self, vlan: int) -> Obj | None:
        """Our assignment of the VLAN (found by its description)."""
        wanted = naming.interface_descr(vlan)
        return next((row for row in self.rows.values() if row.get("descr") == wanted), None)

    def vlan_of(self, ref: object) -> int | None:
        interface_id = self.id_of(ref)
        row = self.rows.get(interface_id) if interface_id else None
        return naming.parse_interface_descr(row.get("descr")) if row else None


# --- VLAN, interface, DHCP scope -----------------------------------------------------------------
def vlan(site: FirewallSite, customer_id: int, tag: int) -> dict[str, Any]:
    return {"if": site.trunk, "tag": tag, "descr": naming.vlan_descr(customer_id, tag)}


def interface(site: FirewallSite, tag: int) -> dict[str, Any]:
    addressing = site.addressing(tag)
    return {
        "if": f"{site.trunk}.{tag}",
        "descr": naming.interface_descr(tag),
        "enable": True,
        "typev4": "static",
        "ipaddr": addressing.gateway,
        "subnet": addressing.subnet.prefixlen,
    }


def dhcp_scope(site: FirewallSite, tag: int) -> dict[str, Any]:
    """What the VLAN's DHCP server must hold; a new one is POSTed with its `interface` too."""
    addressing = site.addressing(tag)
    return {"enable": True, "range_from": addressing.range_from, "range_to": addressing.range_to}


def differs(held: Obj, wanted: Obj) -> bool:
    return any(held.get(name) != value for name, value in wanted.items())


# --- static mappings -----------------------------------------------------------------------------
def mapping(m: StaticMapping) -> dict[str, Any]:
    return {
        "mac": m.mac_address.lower(),
        "ipaddr": m.ip_address,
        "hostname": m.hostname,
        "descr": naming.mapping_descr(m.mac_address),
        "arp_table_static_entry": True,  # the guest cannot take a neighbour's address
    }


# --- rules ---------------------------------------------------------------------------------------
def inbound_rule(wan: str, server_id: int, ip_address: str, rule: FirewallRule):
    """A pass on WAN (`wan` as the API names it) to the server's private address: pfSense applies
    NAT before filtering, so the same rule serves a routed address and a 1:1 NAT alike."""
    body: dict[str, Any] = {
        "type": "pass",
        "interface": [wan],
        "ipprotocol": "inet",
        "protocol": rule.protocol,
        "source": "any" if rule.source == naming.ANY_SOURCE else rule.source,
        "destination": ip_address,
        "descr": naming.rule_descr(server_id, rule),
    }
    if rule.port_from is not None:
        high = "" if rule.port_to == rule.port_from else f":{rule.port_to}"
        body["destination_port"] = f"{rule.port_from}{high}"
    return body


def isolation_rules(site: FirewallSite, tag: int, interface: str) -> list[dict[str, Any]]:
    """`interface` as the API names it. In order: block the VLAN's subnet from every private
    network (other customers, the LAN, the firewall's own addresses there), then pass it to the
    rest (the internet). pfSense takes the first matching rule of an interface, so the order is
    the isolation."""
    subnet = str(site.addressing(tag).subnet)
    base = {"interface": [interface], "ipprotocol": "inet", "source": subnet}
    rules = [
        {**base, "type": "block", "destination": network,
         "descr": naming.isolation_descr(tag, network)}
        for network in blocked_networks(site)
    ]  # fmt: skip
    rules.append({**base, "type": "pass", "destination": "any", "descr": naming.egress_descr(tag)})
    return rules


def blocked_networks(site: FirewallSite) -> list[str]:
    networks = list(site.isolated_networks)
    supernet = ipaddress.IPv4Network(site.networks.supernet)
    if not any(supernet.subnet_of(ipaddress.IPv4Network(n)) for n in networks):
        networks.append(str(supernet))  # routed public customer nets are not private
    return networks


def rule_matches(held: Obj, wanted: Obj, interfaces: Interfaces) -> bool:
    if held.get("descr") != wanted["descr"]:
        return False
    for name in RULE_FIELDS:
        have, want = held.get(name), wanted.get(name)
        if name == "interface":
            have = [interfaces.id_of(i) for i in have or []]
            want = [interfaces.id_of(i) for i in want or []]
        if name == "disabled":
            have, want = bool(have), False
        if have != want:
            return False
    return True


def one_to_one(wan: str, server_id: int, ip_address: str, external: str):
    return {
        "interface": wan,
        "external": external,
        "source": ip_address,
        "destination": "any",
        "descr": naming.nat_descr(server_id),
    }


def virtual_ip(wan: str, server_id: int, external: str) -> dict[str, Any]:
    """The public address of a 1:1 NAT, held on WAN so that the firewall answers ARP for it (an
    IP alias; `Models/VirtualIP.inc`). Not needed when the block is routed to the firewall."""
    return {
        "mode": "ipalias",
        "interface": wan,
        "subnet": external,
        "subnet_bits": 32,
        "descr": naming.vip_descr(server_id),
    }
