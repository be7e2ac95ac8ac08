"""Reading a firewall's objects back into the port's `FabricState`, by natural keys only.

Works on plain lists of objects, so the same code reads the API's answers (what config.xml holds)
and a simulator's view of what is live.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from adapters.pfsense import naming
from adapters.pfsense.config import FirewallSite
from adapters.pfsense.payloads import Interfaces
from domain.model.network import FirewallRule
from ports.network import FabricState, RuleTarget, StaticMapping

Obj = Mapping[str, Any]


@attrs.frozen
class Snapshot:
    vlans: Sequence[Obj]
    interfaces: Sequence[Obj]
    mappings: Sequence[Obj]  # static mappings of every DHCP server, with `parent_id`
    rules: Sequence[Obj]
    nat: Sequence[Obj] = ()
    vips: Sequence[Obj] = ()  # our virtual IPs (the public addresses of 1:1 NAT)

    @property
    def resolver(self) -> Interfaces:
        return Interfaces(self.interfaces)


def by_id(objects: Sequence[Obj]) -> list[Obj]:
    return sorted(objects, key=lambda o: int(o["id"]))


def vlans(snapshot: Snapshot, site: FirewallSite) -> dict[int, int]:
    """tag -> customer, for our VLANs on the trunk that have our interface assignment."""
    found: dict[int, int] = {}
    interfaces = snapshot.resolver
    for obj in by_id(snapshot.vlans):
        parsed = naming.parse_vlan_descr(str(obj.get("descr", "")))
        if parsed is None or obj.get("if") != site.trunk or int(obj["tag"]) != parsed[1]:
            continue
        assigned = interfaces.ours(parsed[1])
        if assigned is not None and assigned.get("if") == f"{site.trunk}.{parsed[1]}":
            found.setdefault(parsed[1], parsed[0])
    return found


def mappings(snapshot: Snapshot) -> tuple[StaticMapping, ...]:
    interfaces = snapshot.resolver
    found: dict[str, StaticMapping] = {}
    for obj in snapshot.mappings:
        mac = naming.parse_mapping_descr(str(obj.get("descr", "")))
        vlan = interfaces.vlan_of(obj.get("parent_id"))
        if mac is None or vlan is None or str(obj.get("mac", "")).lower() != mac:
            continue
        found.setdefault(mac, StaticMapping(mac, str(obj["ipaddr"]), str(obj["hostname"]), vlan))
    return tuple(found[mac] for mac in sorted(found))


def server_rules(snapshot: Snapshot) -> dict[int, list[tuple[FirewallRule, str]]]:
    """server id -> (rule, destination) in the firewall's order, one per natural key."""
    found: dict[int, list[tuple[FirewallRule, str]]] = {}
    seen: set[str] = set()
    for obj in by_id(snapshot.rules):
        descr = str(obj.get("descr", ""))
        parsed = naming.parse_rule_descr(descr)
        if parsed is None or naming.key_of(descr) in seen:
            continue
        seen.add(naming.key_of(descr))
        found.setdefault(parsed.server_id, []).append((parsed.rule, str(obj.get("destination"))))
    return found


def fabric_state(snapshot: Snapshot, site: FirewallSite, *, pending: bool) -> FabricState:
    held_mappings = mappings(snapshot)
    vlan_by_ip = {m.ip_address: m.vlan for m in held_mappings}
    rules, targets = {}, {}
    for server_id, pairs in sorted(server_rules(snapshot).items()):
        rules[server_id] = tuple(rule for rule, _ in pairs)
        destination = pairs[0][1]
        vlan = vlan_by_ip.get(destination) or site.vlan_of(destination) or 0
        targets[server_id] = RuleTarget(destination, vlan)
    return FabricState(
        vlans=vlans(snapshot, site),
        mappings=held_mappings,
        rules=rules,
        pending_changes=pending,
        targets=targets,
    )
