"""The fake fabric's configuration of one firewall, kept by natural keys, and how a reconciliation
turns one into the desired one (see FakeNetworkFabric)."""

from __future__ import annotations

import attrs

from domain.model.network import FirewallRule
from ports.network import (
    FabricKeys,
    FabricState,
    ReconcileReport,
    RuleTarget,
    StaticMapping,
    mapping_entry,
    may_remove,
    rule_entry,
    vlan_entry,
)

# What an object is kept under: ("vlan", tag), ("mapping", MAC) or ("rules", server id).
Key = tuple[str, int | str]


@attrs.frozen
class RuleSet:
    ip_address: str
    vlan: int
    rules: tuple[FirewallRule, ...]


@attrs.define
class FabricConfig:
    vlans: dict[int, int] = attrs.field(factory=dict)  # tag -> customer id
    mappings: dict[str, StaticMapping] = attrs.field(factory=dict)  # by MAC
    rules: dict[int, RuleSet] = attrs.field(factory=dict)  # by server id
    copies: dict[str, Key] = attrs.field(factory=dict)  # entries made twice by hand -> their key

    def copy(self) -> FabricConfig:
        return FabricConfig(
            dict(self.vlans), dict(self.mappings), dict(self.rules), dict(self.copies)
        )

    def entries(self) -> dict[str, Key]:
        """Every object by its report entry (see ports.network), with the key it is kept under."""
        found: dict[str, Key] = {vlan_entry(tag): ("vlan", tag) for tag in self.vlans}
        found.update({mapping_entry(mac): ("mapping", mac) for mac in self.mappings})
        for server_id, rule_set in self.rules.items():
            found.update({rule_entry(server_id, r): ("rules", server_id) for r in rule_set.rules})
        return found

    def drop_copies(self, key: Key) -> None:
        self.copies = {entry: k for entry, k in self.copies.items() if k != key}

    def view(self, pending: bool) -> FabricState:
        return FabricState(
            vlans=dict(self.vlans),
            mappings=tuple(self.mappings[mac] for mac in sorted(self.mappings)),
            rules={server_id: rs.rules for server_id, rs in sorted(self.rules.items())},
            pending_changes=pending,
            targets={
                server_id: RuleTarget(rs.ip_address, rs.vlan)
                for server_id, rs in sorted(self.rules.items())
            },
        )


def keep_what_may_not_go(
    wanted: FabricConfig, have: FabricConfig, removable: FabricKeys | None
) -> None:
    """Add to `wanted` what is held but neither desired nor removable, with its copies: left
    exactly as it is. Every other copy goes."""
    spared: set[Key] = set()
    for tag, customer in have.vlans.items():
        if tag not in wanted.vlans and not may_remove(removable, vlan=tag):
            wanted.vlans[tag] = customer
            spared.add(("vlan", tag))
    for mac, mapping in have.mappings.items():
        if mac not in wanted.mappings and not may_remove(removable, mac=mac):
            wanted.mappings[mac] = mapping
            spared.add(("mapping", mac))
    for server_id, rule_set in have.rules.items():
        if server_id not in wanted.rules and not may_remove(removable, server=server_id):
            wanted.rules[server_id] = rule_set
            spared.add(("rules", server_id))
    wanted.copies = {entry: key for entry, key in have.copies.items() if key in spared}


def desired_config(desired: FabricState, current: FabricConfig) -> FabricConfig:
    """The configuration `desired` describes; a server's target may be left out when its rules
    exist already (the one they were written for is kept)."""
    rules: dict[int, RuleSet] = {}
    for server_id, server_rules in desired.rules.items():
        target = desired.targets.get(server_id)
        if target is None and server_id in current.rules:
            known = current.rules[server_id]
            target = RuleTarget(known.ip_address, known.vlan)
        if target is None:
            raise ValueError(f"desired rules of server {server_id} have no target")
        rules[server_id] = RuleSet(target.ip_address, target.vlan, tuple(server_rules))
    mappings = {
        m.mac_address.lower(): attrs.evolve(m, mac_address=m.mac_address.lower())
        for m in desired.mappings
    }
    return FabricConfig(dict(desired.vlans), mappings, rules)


def report_differences(report: ReconcileReport, *, have: FabricConfig, want: FabricConfig) -> None:
    report.duplicates_removed.extend(sorted(set(have.copies) - set(want.copies)))
    for tag, customer in sorted(want.vlans.items()):
        if have.vlans.get(tag) != customer:
            report.created.append(vlan_entry(tag))
    for tag, customer in sorted(have.vlans.items()):
        if want.vlans.get(tag) != customer:
            report.removed.append(vlan_entry(tag))
    for mac, mapping in sorted(want.mappings.items()):
        if have.mappings.get(mac) != mapping:
            report.created.append(mapping_entry(mac))
    for mac, mapping in sorted(have.mappings.items()):
        if want.mappings.get(mac) != mapping:
            report.removed.append(mapping_entry(mac))
    for server_id in sorted(set(want.rules) | set(have.rules)):
        wanted, held = want.rules.get(server_id), have.rules.get(server_id)
        same_target = (
            wanted is not None
            and held is not None
            and (wanted.ip_address, wanted.vlan) == (held.ip_address, held.vlan)
        )
        kept = set(held.rules) if held is not None and same_target else set()
        for rule in wanted.rules if wanted is not None else ():
            if rule not in kept:
                report.created.append(rule_entry(server_id, rule))
        for rule in held.rules if held is not None else ():
            if wanted is None or not same_target or rule not in wanted.rules:
                report.removed.append(rule_entry(server_id, rule))
