"""The fabric reconciler: each location's firewall is made to hold what our records say, hand edits
and leftovers repaired, while servers whose network is being built or torn down are left alone."""

from __future__ import annotations

import attrs

from domain.model.commands import ReplaceFirewall
from domain.model.firewall import RuleRequest
from domain.model.network import DEFAULT_INBOUND, FirewallRule
from domain.model.server import Server
from domain.model.server_commands import OnServer
from domain.usecases import firewall, server_commands
from domain.usecases.actors import Actor
from domain.usecases.fabric_reconcile import FabricReconciliation, reconcile_fabric
from ports.network import (
    FabricKeys,
    FabricState,
    NetworkFabric,
    ReconcileReport,
    StaticMapping,
    mapping_entry,
    rule_entry,
    vlan_entry,
)

from .support import LOCATIONS, World

SSH, HTTP = DEFAULT_INBOUND[0], DEFAULT_INBOUND[1]


def run(world: World) -> FabricReconciliation:
    return reconcile_fabric(world.rt)


def expected(world: World, *running: Server) -> FabricState:
    """What the live firewall holds for these servers (default rules unless they set their own)."""
    fresh = [world.server(s.id) for s in running]
    return FabricState(
        vlans={s.placement.vlan: s.owner_id for s in fresh if s.placement.vlan is not None},
        mappings=tuple(
            sorted(
                (
                    StaticMapping(
                        s.placement.mac_address or "",
                        s.placement.ip_address or "",
                        s.name,
                        s.placement.vlan or 0,
                    )  # fmt: skip
                    for s in fresh
                ),
                key=lambda m: m.mac_address,
            )
        ),
        rules={s.id: s.firewall or DEFAULT_INBOUND for s in fresh},
    )


def held(world: World, location_id: int) -> FabricState:
    live = world.fabric.live_state(location_id)
    return FabricState(vlans=live.vlans, mappings=live.mappings, rules=live.rules)


def test_nothing_to_do_changes_nothing(world: World, customer: Actor):
    server = world.running_server(customer, name="web-1")
    before = world.snapshot()
    applies = world.fabric.calls["apply"]

    result = run(world)

    assert sorted(result.reports) == list(LOCATIONS) and result.errors == {}
    assert not result.changed
    assert world.fabric.calls["apply"] == applies
    assert world.snapshot()["fabric"] == before["fabric"]
    assert held(world, server.location_id) == expected(world, server)


def test_objects_deleted_by_hand_are_made_again(world: World, customer: Actor):
    web = world.running_server(customer, name="web-1")
    db = world.running_server(customer, name="db-1")
    loc = web.location_id
    world.fabric.delete_by_hand(loc, rule_entry(web.id, SSH))
    world.fabric.delete_by_hand(loc, mapping_entry(db.placement.mac_address or ""))
    assert held(world, loc) != expected(world, web, db)

    report = run(world).reports[loc]

    assert sorted(report.created) == sorted(
        [rule_entry(web.id, SSH), mapping_entry(db.placement.mac_address or "")]
    )
    assert report.removed == [] and report.duplicates_removed == []
    assert held(world, loc) == expected(world, web, db)
    assert not world.fabric.state(loc).pending_changes


def test_a_vlan_deleted_by_hand_is_made_again(world: World, customer: Actor):
    web = world.running_server(customer, name="web-1")
    loc, tag = web.location_id, web.placement.vlan or 0
    world.fabric.delete_by_hand(loc, vlan_entry(tag))

    report = run(world).reports[loc]

    assert report.created == [vlan_entry(tag)]
    assert held(world, loc) == expected(world, web)


def test_copies_made_by_hand_are_removed(world: World, customer: Actor):
    web = world.running_server(customer, name="web-1")
    loc, mac = web.location_id, web.placement.mac_address or ""
    world.fabric.copy_by_hand(loc, rule_entry(web.id, HTTP))
    world.fabric.copy_by_hand(loc, mapping_entry(mac))

    report = run(world).reports[loc]

    assert sorted(report.duplicates_removed) == sorted(
        [rule_entry(web.id, HTTP), mapping_entry(mac)]
    )
    assert world.fabric.copies(loc) == []
    assert held(world, loc) == expected(world, web)
    assert not run(world).changed  # and a second run has nothing left to do


def test_a_customers_own_rules_are_what_is_restored(world: World, customer: Actor):
    web = world.running_server(customer, name="web-1")
    own = [RuleRequest("tcp", 8443, description="admin"), RuleRequest("icmp")]
    firewall.replace_firewall(world.rt, customer, ReplaceFirewall(web.id, own))
    web = world.server(web.id)
    assert web.firewall is not None and len(web.firewall) == 2
    admin = web.firewall[0]
    world.fabric.delete_by_hand(web.location_id, rule_entry(web.id, admin))

    report = run(world).reports[web.location_id]

    assert report.created == [rule_entry(web.id, admin)]
    assert world.fabric.live_state(web.location_id).rules[web.id] == web.firewall


def test_leftovers_of_servers_and_customers_gone_are_removed(
    world: World, customer: Actor, stranger: Actor
):
    web = world.running_server(customer, name="web-1")
    gone = world.running_server(stranger, name="gone-1")
    loc = web.location_id
    server_commands.delete_server(world.rt, stranger, OnServer(gone.id))
    assert world.server(gone.id).status.value == "deleted"
    # The deletion's firewall cleanup was lost (say the box was down): its objects are back.
    p = gone.placement
    assert p.mac_address and p.ip_address and p.vlan is not None
    world.fabric.ensure_vlan(loc, stranger.account_id, p.vlan)
    world.fabric.ensure_mapping(loc, StaticMapping(p.mac_address, p.ip_address, gone.name, p.vlan))
    world.fabric.ensure_rules(loc, gone.id, p.ip_address, p.vlan, DEFAULT_INBOUND)
    world.fabric.apply(loc)

    report = run(world).reports[loc]

    assert sorted(report.removed) == sorted(
        [vlan_entry(p.vlan), mapping_entry(p.mac_address)]
        + [rule_entry(gone.id, rule) for rule in DEFAULT_INBOUND]
    )
    assert report.created == []
    assert held(world, loc) == expected(world, web)


def test_a_server_being_deleted_is_left_alone(world: World, customer: Actor):
    """Its objects are neither repaired nor removed while the deletion owns them, and its
    customer's VLAN stays although no settled server of theirs needs it."""
    web = world.running_server(customer, name="web-1")
    loc, mac = web.location_id, web.placement.mac_address or ""
    world.hold_jobs()
    server_commands.delete_server(
        world.rt, customer, OnServer(web.id)
    )  # its job waits for a worker
    world.fabric.delete_by_hand(loc, rule_entry(web.id, SSH))
    world.fabric.copy_by_hand(loc, mapping_entry(mac))
    before = world.fabric.live_state(loc)

    result = run(world)

    assert result.reports[loc] == ReconcileReport()
    assert result.left_alone[loc] == [web.id]
    assert world.fabric.live_state(loc) == before
    assert world.fabric.copies(loc) == [mapping_entry(mac)]
    world.run_jobs()  # the deletion finishes and takes it all away
    assert held(world, loc) == FabricState()


def test_a_customers_first_server_being_built_keeps_the_vlan_its_saga_made(
    world: World, customer: Actor
):
    world.hold_jobs()
    ordered = world.order(customer, name="web-1")
    loc = ordered.server.location_id
    # The saga recorded the VLAN and made it; our server row does not show the tag yet.
    world.fabric.ensure_vlan(loc, customer.account_id, 100)
    world.fabric.apply(loc)

    result = run(world)

    assert result.left_alone[loc] == [ordered.server.id]
    assert world.fabric.live_state(loc).vlans == {100: customer.account_id}
    world.run_jobs()
    assert world.server(ordered.server.id).status.value == "running"


@attrs.define
class SagaMeanwhile:
    """A fabric on which a saga writes a new server's objects just as the reconciler starts its
    repair: after the reconciler has read our records."""

    inner: NetworkFabric
    location_id: int
    customer_id: int
    server_id: int = 999
    done: bool = False

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def reconcile(
        self, location_id: int, desired: FabricState, removable: FabricKeys | None = None
    ) -> ReconcileReport:
        if not self.done and location_id == self.location_id:
            self.done = True
            mapping = StaticMapping("02:48:50:ff:ff:ff", "10.11.9.5", "new-1", 109)
            self.inner.ensure_vlan(location_id, self.customer_id, 109)
            self.inner.ensure_mapping(location_id, mapping)
            self.inner.ensure_rules(location_id, self.server_id, "10.11.9.5", 109, DEFAULT_INBOUND)
        return self.inner.reconcile(location_id, desired, removable)


def test_what_a_saga_makes_while_the_reconciler_runs_is_not_removed(
    world: World, customer: Actor, stranger: Actor
):
    web = world.running_server(customer, name="web-1")
    loc = web.location_id
    saga = SagaMeanwhile(world.fabric, loc, stranger.account_id)
    rt = attrs.evolve(world.rt, fabric=saga)

    report = reconcile_fabric(rt).reports[loc]

    assert saga.done and report.removed == []
    live = world.fabric.live_state(loc)
    assert live.vlans[109] == stranger.account_id
    assert live.rules[999] == DEFAULT_INBOUND
    assert "02:48:50:ff:ff:ff" in {m.mac_address for m in live.mappings}


def test_a_firewall_that_cannot_be_reached_is_reported_and_the_others_are_repaired(
    world: World, customer: Actor
):
    here = world.running_server(customer, name="web-1", location_id=1)
    there = world.running_server(customer, name="web-2", location_id=2)
    world.fabric.set_reachable(1, False)
    world.fabric.delete_by_hand(2, rule_entry(there.id, SSH))

    result = run(world)

    assert set(result.errors) == {1} and "unreachable" in result.errors[1]
    assert result.reports[2].created == [rule_entry(there.id, SSH)]
    world.fabric.set_reachable(1, True)
    assert held(world, 1) == expected(world, here)


def test_a_rule_added_by_hand_to_a_server_is_removed(world: World, customer: Actor):
    web = world.running_server(customer, name="web-1")
    loc, ip, vlan = web.location_id, web.placement.ip_address or "", web.placement.vlan or 0
    rdp = FirewallRule("tcp", 3389, 3389)
    world.fabric.ensure_rules(loc, web.id, ip, vlan, (*DEFAULT_INBOUND, rdp))
    world.fabric.apply(loc)

    report = run(world).reports[loc]

    assert report.removed == [rule_entry(web.id, rdp)] and report.created == []
    assert world.fabric.live_state(loc).rules[web.id] == DEFAULT_INBOUND
