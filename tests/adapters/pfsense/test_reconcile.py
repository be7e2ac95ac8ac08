"""The reconciler repairs what hands did in the webGUI: deleted objects, copied ones, leftovers."""

from __future__ import annotations

from collections import Counter
from typing import Any

from adapters.pfsense import naming
from domain.model.network import DEFAULT_INBOUND
from ports.network import (
    FabricKeys,
    FabricState,
    RuleTarget,
    StaticMapping,
    mapping_entry,
    rule_entry,
    vlan_entry,
)
from tests.contract.pfsense_rig import PfSenseRig

from .conftest import LOC

A1 = StaticMapping("02:48:50:00:00:01", "10.20.1.5", "srv-1", 101)
A2 = StaticMapping("02:48:50:00:00:02", "10.20.1.6", "srv-2", 101)
B3 = StaticMapping("02:48:50:00:00:03", "10.20.2.5", "srv-3", 102)
SERVERS = {1: A1, 2: A2, 3: B3}
DESIRED = FabricState(
    vlans={101: 10, 102: 20},
    mappings=(A1, A2, B3),
    rules={server_id: DEFAULT_INBOUND for server_id in SERVERS},
    targets={server_id: RuleTarget(m.ip_address, m.vlan) for server_id, m in SERVERS.items()},
)


def provision(rig: PfSenseRig) -> None:
    f = rig.fabric
    for server_id, m in SERVERS.items():
        f.ensure_vlan(LOC, 10 if m.vlan == 101 else 20, m.vlan)
        f.ensure_mapping(LOC, m)
        f.ensure_rules(LOC, server_id, m.ip_address, m.vlan, DEFAULT_INBOUND)
    f.apply(LOC)


def first(rig: PfSenseRig, kind: str, descr: str) -> dict[str, Any]:
    return next(o for o in rig.sims[LOC].config_state()[kind] if o.get("descr") == descr)


def our_keys(view: dict[str, Any]) -> Counter[str]:
    return Counter(
        naming.key_of(o["descr"])
        for kind in ("vlans", "static_mappings", "rules")
        for o in view[kind]
        if naming.is_ours(o.get("descr"))
    )


def test_hand_deletions_copies_and_leftovers_are_repaired(rig: PfSenseRig):
    provision(rig)
    sim = rig.sims[LOC]
    ssh_of_1 = naming.rule_descr(1, DEFAULT_INBOUND[0])
    http_of_3 = naming.rule_descr(3, DEFAULT_INBOUND[1])
    sim.delete_object("rule", lambda r: r["descr"] == ssh_of_1)
    sim.delete_object("static_mapping", lambda m: m["mac"] == A2.mac_address)
    sim.duplicate_object("rule", first(rig, "rules", http_of_3)["id"])
    copied = first(rig, "static_mappings", naming.mapping_descr(B3.mac_address))
    sim.duplicate_object("static_mapping", copied["id"], parent_id=copied["parent_id"])
    sim.duplicate_object("rule", first(rig, "rules", naming.egress_descr(101))["id"])
    sim.add_object(
        "rule",
        {"type": "pass", "interface": ["wan"], "ipprotocol": "inet", "protocol": "tcp",
         "source": "any", "destination": "10.20.1.99", "destination_port": "3389",
         "descr": "hostprovider:server-99:in:tcp/3389"},
    )  # fmt: skip
    sim.apply_all()  # the hand edits are live too

    report = rig.fabric.reconcile(LOC, DESIRED)

    assert rule_entry(1, DEFAULT_INBOUND[0]) in report.created
    assert mapping_entry(A2.mac_address) in report.created
    assert set(report.duplicates_removed) == {
        rule_entry(3, DEFAULT_INBOUND[1]),
        mapping_entry(B3.mac_address),
        naming.egress_descr(101),
    }
    assert report.removed == ["rule:server-99:tcp/3389"]  # a leftover of a deleted server
    live = rig.live_state(LOC)
    assert (live.vlans, live.mappings, live.rules) == (
        DESIRED.vlans,
        DESIRED.mappings,
        DESIRED.rules,
    )
    assert max(our_keys(sim.live_state()).values()) == 1
    assert sim.config_state() == sim.live_state() and not sim.has_unapplied_changes()
    again = rig.fabric.reconcile(LOC, DESIRED)
    assert not again.changed


def test_a_vlan_torn_down_by_hand_is_rebuilt_with_its_isolation(rig: PfSenseRig):
    provision(rig)
    sim = rig.sims[LOC]
    sim.delete_object("interface", lambda i: i["descr"] == naming.interface_descr(102))
    sim.delete_object("vlan", lambda v: v["tag"] == 102)
    sim.apply_all()
    assert 102 not in rig.live_state(LOC).vlans

    report = rig.fabric.reconcile(LOC, DESIRED)

    assert vlan_entry(102) in report.created and "isolation:vlan-102" in report.created
    assert mapping_entry(B3.mac_address) in report.created  # went down with the interface
    live = rig.live_state(LOC)
    assert live.vlans == DESIRED.vlans and live.mappings == DESIRED.mappings
    isolation = [r for r in sim.live_state()["rules"]
                 if naming.parse_isolation_descr(r["descr"]) == 102]  # fmt: skip
    assert [r["type"] for r in isolation] == ["block", "block", "block", "pass"]


def test_a_customer_who_left_is_removed_whole(rig: PfSenseRig):
    provision(rig)
    pristine_rules = [
        r for r in rig.sims[LOC].config_state()["rules"] if not naming.is_ours(r["descr"])
    ]
    only_a = FabricState(
        vlans={101: 10},
        mappings=(A1, A2),
        rules={1: DEFAULT_INBOUND, 2: DEFAULT_INBOUND},
        targets={1: DESIRED.targets[1], 2: DESIRED.targets[2]},
    )
    report = rig.fabric.reconcile(LOC, only_a)
    assert vlan_entry(102) in report.removed and mapping_entry(B3.mac_address) in report.removed
    live = rig.sims[LOC].live_state()
    assert not any(naming.interface_descr(102) == i["descr"] for i in live["interfaces"])
    assert [r for r in live["rules"] if not naming.is_ours(r["descr"])] == pristine_rules
    assert rig.live_state(LOC).rules == only_a.rules


def test_what_is_not_removable_is_left_as_it_is_copies_included(rig: PfSenseRig):
    """Server 2 is stale; server 3 and VLAN 102 are a saga's work in progress, say: neither
    desired nor removable, so not one of their objects (a copy included) is touched."""
    provision(rig)
    sim = rig.sims[LOC]
    sim.duplicate_object(
        "rule", first(rig, "rules", naming.rule_descr(3, DEFAULT_INBOUND[1]))["id"]
    )
    sim.apply_all()
    before = our_keys(sim.live_state())
    only_1 = FabricState(
        vlans={101: 10}, mappings=(A1,), rules={1: DEFAULT_INBOUND}, targets={1: DESIRED.targets[1]}
    )

    report = rig.fabric.reconcile(
        LOC, only_1, FabricKeys(macs=frozenset({A2.mac_address}), servers=frozenset({2}))
    )

    stale = [naming.mapping_descr(A2.mac_address)]
    stale += [naming.rule_key(2, rule) for rule in DEFAULT_INBOUND]
    assert sorted(report.removed) == sorted(
        [mapping_entry(A2.mac_address), *(rule_entry(2, r) for r in DEFAULT_INBOUND)]
    )
    assert report.created == [] and report.duplicates_removed == []
    assert our_keys(sim.live_state()) == before - Counter(stale)
    assert naming.interface_descr(102) in {i["descr"] for i in sim.live_state()["interfaces"]}
