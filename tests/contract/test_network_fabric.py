"""NetworkFabric: idempotent ensure/remove by natural keys, staged until apply, faults."""

from __future__ import annotations

import pytest

from domain.model.errors import Conflict, ExternalFailure, Unavailable
from domain.model.network import DEFAULT_INBOUND, FirewallRule
from ports.network import (
    FabricKeys,
    FabricState,
    ReconcileReport,
    RuleTarget,
    StaticMapping,
    mapping_entry,
    rule_entry,
    vlan_entry,
)

from .conftest import FabricRig

LOC = 1
MAPPING = StaticMapping("02:48:50:00:00:01", "10.20.0.5", "srv-1", 100)


def provisioned(rig: FabricRig) -> None:
    f = rig.fabric
    f.ensure_vlan(LOC, 10, 100)
    f.ensure_mapping(LOC, MAPPING)
    f.ensure_rules(LOC, 1, "10.20.0.5", 100, DEFAULT_INBOUND)


def test_changes_are_staged_until_apply(fabric: FabricRig):
    provisioned(fabric)
    staged = fabric.fabric.state(LOC)
    assert staged.pending_changes
    assert staged.vlans == {100: 10}
    assert staged.mappings == (MAPPING,)
    assert staged.rules == {1: DEFAULT_INBOUND}
    live = fabric.live_state(LOC)
    assert live.vlans == {} and live.mappings == () and live.rules == {}
    fabric.fabric.apply(LOC)
    assert not fabric.fabric.state(LOC).pending_changes
    applied = fabric.live_state(LOC)
    assert (applied.vlans, applied.mappings, applied.rules) == (
        staged.vlans,
        staged.mappings,
        staged.rules,
    )


def test_ensure_is_idempotent(fabric: FabricRig):
    provisioned(fabric)
    fabric.fabric.apply(LOC)
    provisioned(fabric)  # a retry after a timeout
    state = fabric.fabric.state(LOC)
    assert (
        state.vlans == {100: 10}
        and state.mappings == (MAPPING,)
        and state.rules == {1: DEFAULT_INBOUND}
    )
    assert not state.pending_changes


def test_a_mac_mapped_again_is_replaced(fabric: FabricRig):
    fabric.fabric.ensure_vlan(LOC, 10, 100)  # a mapping lives in its VLAN's DHCP scope
    fabric.fabric.ensure_mapping(LOC, MAPPING)
    moved = StaticMapping(MAPPING.mac_address, "10.20.0.9", "srv-1", 100)
    fabric.fabric.ensure_mapping(LOC, moved)
    assert fabric.fabric.state(LOC).mappings == (moved,)


def test_rules_are_made_exactly_the_given_set(fabric: FabricRig):
    provisioned(fabric)
    only_ssh = (FirewallRule("tcp", 22, 22, description="ssh"),)
    fabric.fabric.ensure_rules(LOC, 1, "10.20.0.5", 100, only_ssh)
    assert fabric.fabric.state(LOC).rules == {1: only_ssh}


def test_a_vlan_tag_of_another_customer_is_a_conflict(fabric: FabricRig):
    fabric.fabric.ensure_vlan(LOC, 10, 100)
    with pytest.raises(Conflict):
        fabric.fabric.ensure_vlan(LOC, 11, 100)
    fabric.fabric.ensure_vlan(LOC + 1, 11, 100)  # another location's firewall
    assert fabric.fabric.state(LOC).vlans == {100: 10}


def test_remove_of_what_is_not_there_is_done(fabric: FabricRig):
    f = fabric.fabric
    f.remove_rules(LOC, 1)
    f.remove_mapping(LOC, "02:48:50:00:00:99")
    f.remove_vlan(LOC, 10, 100)
    f.apply(LOC)
    provisioned(fabric)
    f.apply(LOC)
    f.remove_rules(LOC, 1)
    f.remove_mapping(LOC, MAPPING.mac_address)
    f.remove_vlan(LOC, 10, 100)
    assert f.state(LOC).pending_changes
    f.apply(LOC)
    live = fabric.live_state(LOC)
    assert live.vlans == {} and live.mappings == () and live.rules == {}


def test_faults_refuse_or_are_transient_and_change_nothing(fabric: FabricRig):
    fabric.fabric.ensure_vlan(LOC, 10, 100)
    fabric.fail_next("ensure_mapping")
    with pytest.raises(ExternalFailure) as refused:
        fabric.fabric.ensure_mapping(LOC, MAPPING)
    assert not isinstance(refused.value, Unavailable)
    fabric.fail_next("apply", transient=True)
    fabric.fabric.ensure_vlan(LOC, 10, 100)
    with pytest.raises(Unavailable):
        fabric.fabric.apply(LOC)
    assert fabric.fabric.state(LOC).mappings == ()
    assert fabric.live_state(LOC).vlans == {}
    fabric.fabric.apply(LOC)
    assert fabric.live_state(LOC).vlans == {100: 10}


# --- reconciliation ------------------------------------------------------------------------------

SECOND = StaticMapping("02:48:50:00:00:02", "10.20.0.6", "srv-2", 100)


def desired(*servers: tuple[int, StaticMapping, tuple[FirewallRule, ...]]) -> FabricState:
    """What our database says: customer 10 on VLAN 100 with these servers."""
    return FabricState(
        vlans={100: 10},
        mappings=tuple(sorted((m for _, m, _ in servers), key=lambda m: m.mac_address)),
        rules={server_id: rules for server_id, _, rules in servers},
        targets={server_id: RuleTarget(m.ip_address, m.vlan) for server_id, m, _ in servers},
    )


def held(state: FabricState) -> tuple[object, ...]:
    return state.vlans, state.mappings, state.rules


def test_reconcile_of_a_firewall_that_matches_changes_nothing(fabric: FabricRig):
    provisioned(fabric)
    fabric.fabric.apply(LOC)
    report = fabric.fabric.reconcile(LOC, fabric.fabric.state(LOC))
    assert report == ReconcileReport() and not report.changed
    assert not fabric.fabric.state(LOC).pending_changes


def test_reconcile_recreates_what_is_missing_and_applies(fabric: FabricRig):
    want = desired((1, MAPPING, DEFAULT_INBOUND))
    report = fabric.fabric.reconcile(LOC, want)
    assert vlan_entry(100) in report.created
    assert mapping_entry(MAPPING.mac_address) in report.created
    assert {rule_entry(1, r) for r in DEFAULT_INBOUND} <= set(report.created)
    assert report.removed == [] and report.duplicates_removed == []
    assert held(fabric.live_state(LOC)) == held(want)
    assert not fabric.fabric.state(LOC).pending_changes
    assert fabric.fabric.state(LOC).targets == want.targets


def test_reconcile_removes_what_is_ours_but_not_desired(fabric: FabricRig):
    provisioned(fabric)
    fabric.fabric.ensure_mapping(LOC, SECOND)
    fabric.fabric.ensure_rules(LOC, 2, SECOND.ip_address, 100, DEFAULT_INBOUND)
    fabric.fabric.apply(LOC)
    report = fabric.fabric.reconcile(LOC, desired((1, MAPPING, DEFAULT_INBOUND)))
    assert mapping_entry(SECOND.mac_address) in report.removed
    assert {rule_entry(2, r) for r in DEFAULT_INBOUND} <= set(report.removed)
    assert not any("server-1" in entry for entry in report.removed + report.created)
    live = fabric.live_state(LOC)
    assert live.mappings == (MAPPING,) and live.rules == {1: DEFAULT_INBOUND}


def test_reconcile_puts_back_a_rule_set_that_drifted(fabric: FabricRig):
    provisioned(fabric)
    only_ssh = (FirewallRule("tcp", 22, 22, description="ssh"),)
    fabric.fabric.ensure_rules(LOC, 1, "10.20.0.5", 100, only_ssh)
    fabric.fabric.apply(LOC)
    report = fabric.fabric.reconcile(LOC, desired((1, MAPPING, DEFAULT_INBOUND)))
    assert set(report.created) >= {rule_entry(1, r) for r in DEFAULT_INBOUND[1:]}
    assert rule_entry(1, only_ssh[0]) not in report.created + report.removed
    assert fabric.live_state(LOC).rules == {1: DEFAULT_INBOUND}


def test_reconcile_touches_only_its_own_location(fabric: FabricRig):
    provisioned(fabric)
    fabric.fabric.apply(LOC)
    fabric.fabric.reconcile(LOC + 1, FabricState())
    assert held(fabric.live_state(LOC)) == held(desired((1, MAPPING, DEFAULT_INBOUND)))


OTHER = StaticMapping("02:48:50:00:00:03", "10.20.1.5", "srv-3", 101)


def test_reconcile_removes_only_what_is_named_removable(fabric: FabricRig):
    """Server 2 is stale; server 3 and customer 20's VLAN 101 are being built by a saga: they are
    neither desired nor removable, and stay exactly as they are."""
    provisioned(fabric)
    f = fabric.fabric
    f.ensure_mapping(LOC, SECOND)
    f.ensure_rules(LOC, 2, SECOND.ip_address, 100, DEFAULT_INBOUND)
    f.ensure_vlan(LOC, 20, 101)
    f.ensure_mapping(LOC, OTHER)
    f.ensure_rules(LOC, 3, OTHER.ip_address, 101, DEFAULT_INBOUND[:1])
    f.apply(LOC)
    stale = FabricKeys(macs=frozenset({SECOND.mac_address.upper()}), servers=frozenset({2}))

    report = f.reconcile(LOC, desired((1, MAPPING, DEFAULT_INBOUND)), stale)

    assert mapping_entry(SECOND.mac_address) in report.removed
    assert {rule_entry(2, r) for r in DEFAULT_INBOUND} <= set(report.removed)
    assert not any("server-3" in e or OTHER.mac_address in e for e in report.removed)
    live = fabric.live_state(LOC)
    assert live.vlans == {100: 10, 101: 20}
    assert live.mappings == (MAPPING, OTHER)
    assert live.rules == {1: DEFAULT_INBOUND, 3: DEFAULT_INBOUND[:1]}
