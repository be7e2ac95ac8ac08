"""Reconciliation: make one firewall hold exactly the desired state built from our database.

In order: delete second copies of a natural key (pfSense does not keep `descr` unique, and a hand
"copy" in the webGUI makes them), delete what is ours (`hostprovider:`) but not desired, then run
the same idempotent ensure steps the saga runs, which re-create whatever is missing or edited. The
caller applies once at the end.

With `removable` given, an object (or a copy of it) is touched only when its key is desired or
removable: the rest is left exactly as it is, since a saga may be building it right now.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from adapters.pfsense import naming, operations
from adapters.pfsense.firewall import INTERFACE, MAPPING, NAT, RULE, VIP, VLAN, Firewall
from adapters.pfsense.readback import Snapshot, by_id, server_rules
from ports.network import (
    FabricKeys,
    FabricState,
    ReconcileReport,
    RuleTarget,
    mapping_entry,
    may_remove,
    rule_entry,
)
from ports.network import vlan_entry as vlan_key

Obj = Mapping[str, Any]


def reconcile(
    fw: Firewall, report: ReconcileReport, desired: FabricState, removable: FabricKeys | None
) -> None:
    touchable = _Touchable(desired, removable)
    _remove_duplicates(fw, report, fw.snapshot(), touchable)
    snapshot = fw.snapshot()
    known_targets = {
        server_id: RuleTarget(pairs[0][1], desired.targets.get(server_id, RuleTarget("", 0)).vlan)
        for server_id, pairs in server_rules(snapshot).items()
    }
    _remove_orphans(fw, report, snapshot, desired, touchable)
    for tag, customer_id in sorted(desired.vlans.items()):
        operations.ensure_vlan(fw, report, customer_id, tag)
    for mapping in desired.mappings:
        operations.ensure_mapping(fw, report, mapping)
    for server_id, rules in sorted(desired.rules.items()):
        target = desired.targets.get(server_id) or known_targets.get(server_id)
        if target is None:
            raise ValueError(f"desired rules of server {server_id} have no target address")
        vlan = target.vlan or fw.site.vlan_of(target.ip_address) or 0
        operations.ensure_rules(fw, report, server_id, target.ip_address, vlan, rules)


class _Touchable:
    """Whether reconciliation may change an object of ours, by the key its descr names: yes when
    the key is desired (its objects are made exact) or removable."""

    def __init__(self, desired: FabricState, removable: FabricKeys | None) -> None:
        self.removable = removable
        self.vlans = set(desired.vlans)
        self.macs = {m.mac_address.lower() for m in desired.mappings}
        self.servers = set(desired.rules)

    def __call__(self, obj: Obj) -> bool:
        if self.removable is None:
            return True
        descr = str(obj.get("descr", ""))
        vlan = naming.parse_vlan_descr(descr)
        tag = vlan[1] if vlan else naming.parse_isolation_descr(descr)
        if tag is None:
            tag = naming.parse_interface_descr(descr)
        if tag is not None:
            return tag in self.vlans or may_remove(self.removable, vlan=tag)
        mac = naming.parse_mapping_descr(descr)
        if mac is not None:
            return mac in self.macs or may_remove(self.removable, mac=mac)
        rule = naming.parse_rule_descr(descr)
        server = rule.server_id if rule else naming.parse_server_descr(descr)
        if server is not None:
            return server in self.servers or may_remove(self.removable, server=server)
        return False  # ours by prefix but of no kind we make: only a full reconciliation judges it


# --- second copies -------------------------------------------------------------------------------
def _remove_duplicates(
    fw: Firewall, report: ReconcileReport, snapshot: Snapshot, touchable: _Touchable
) -> None:
    ours = [v for v in snapshot.vlans
            if naming.parse_vlan_descr(str(v.get("descr", ""))) and touchable(v)]  # fmt: skip
    _drop_extras(fw, VLAN, ours, lambda v: (v.get("if"), v.get("tag")),
                 lambda v: vlan_key(int(v["tag"])), report)  # fmt: skip
    mappings = [m for m in snapshot.mappings
                if naming.parse_mapping_descr(str(m["descr"])) and touchable(m)]  # fmt: skip
    _drop_extras(fw, MAPPING, mappings, lambda m: (m.get("parent_id"), str(m["mac"]).lower()),
                 lambda m: mapping_entry(str(m["mac"])), report)  # fmt: skip
    rules = [r for r in snapshot.rules if touchable(r)]
    _drop_extras(fw, RULE, rules, lambda r: naming.key_of(str(r["descr"])),
                 _rule_entry, report)  # fmt: skip
    nat = [n for n in snapshot.nat if touchable(n)]
    _drop_extras(fw, NAT, nat, lambda n: n.get("descr"),
                 lambda n: f"nat:{str(n['descr']).split(':')[1]}", report)  # fmt: skip


def _drop_extras(
    fw: Firewall,
    path: str,
    objects: list[Obj],
    key: Callable[[Obj], object],
    entry: Callable[[Obj], str],
    report: ReconcileReport,
) -> None:
    first: set[object] = set()
    extras = []
    for obj in sorted(objects, key=lambda o: (str(o.get("parent_id", "")), int(o["id"]))):
        if key(obj) in first:
            extras.append(obj)
        first.add(key(obj))
    fw.delete_each(path, extras)
    report.duplicates_removed.extend(entry(obj) for obj in extras)


def _rule_entry(rule: Obj) -> str:
    parsed = naming.parse_rule_descr(str(rule["descr"]))
    return rule_entry(parsed.server_id, parsed.rule) if parsed else naming.key_of(rule["descr"])


# --- ours but not desired ------------------------------------------------------------------------
def _remove_orphans(
    fw: Firewall,
    report: ReconcileReport,
    snapshot: Snapshot,
    desired: FabricState,
    touchable: _Touchable,
) -> None:
    rules = [r for r in by_id(snapshot.rules) if _orphan_rule(r, desired) and touchable(r)]
    fw.delete_each(RULE, rules)
    report.removed.extend(_rule_entry(r) for r in rules)
    wanted_macs = {m.mac_address.lower() for m in desired.mappings}
    mappings = [
        m for m in snapshot.mappings
        if naming.parse_mapping_descr(str(m["descr"])) not in wanted_macs and touchable(m)
    ]  # fmt: skip
    fw.delete_each(MAPPING, mappings)
    report.removed.extend(mapping_entry(str(m["mac"])) for m in mappings)
    # a server's public address: its 1:1 NAT mapping and the virtual IP that holds it on WAN
    for path, kind, held in ((NAT, "nat", snapshot.nat), (VIP, "vip", snapshot.vips)):
        doomed = [
            o for o in held
            if naming.parse_server_descr(str(o["descr"])) not in desired.rules and touchable(o)
        ]  # fmt: skip
        fw.delete_each(path, doomed)
        report.removed.extend(
            f"{kind}:server-{naming.parse_server_descr(str(o['descr']))}" for o in doomed
        )
    for obj in snapshot.vlans:
        parsed = naming.parse_vlan_descr(str(obj.get("descr", "")))
        if parsed is not None and desired.vlans.get(parsed[1]) != parsed[0] and touchable(obj):
            operations.remove_vlan(fw, report, parsed[0], parsed[1])
    _remove_lone_interfaces(fw, report, snapshot.interfaces, desired, touchable)


def _orphan_rule(rule: Obj, desired: FabricState) -> bool:
    descr = str(rule.get("descr", ""))
    parsed = naming.parse_rule_descr(descr)
    if parsed is not None:
        return parsed.server_id not in desired.rules
    vlan = naming.parse_isolation_descr(descr)
    if vlan is not None:
        return vlan not in desired.vlans
    return naming.parse_nat_descr(descr) is None  # ours by prefix, but no kind we make


def _remove_lone_interfaces(
    fw: Firewall,
    report: ReconcileReport,
    interfaces: Iterable[Obj],
    desired: FabricState,
    touchable: _Touchable,
) -> None:
    """Our interface assignments whose VLAN is not desired (a half-removed VLAN)."""
    current = {str(i.get("descr")): i for i in fw.read("/interfaces")}
    for obj in interfaces:
        tag = naming.parse_interface_descr(obj.get("descr"))
        if tag is None or tag in desired.vlans or not touchable(obj):
            continue
        if str(obj["descr"]) in current:
            fw.delete(INTERFACE, id=current[str(obj["descr"])]["id"])
            report.removed.append(f"interface:{obj['descr']}")
