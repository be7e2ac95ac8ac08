"""The fabric reconciler use case on the pfSense adapter: a server ordered through the whole saga,
then a rule deleted and a mapping copied by hand in the webGUI; one run puts the firewall back."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

from adapters.pfsense import naming
from domain.model.network import DEFAULT_INBOUND
from domain.usecases.fabric_reconcile import reconcile_fabric
from ports.network import mapping_entry, rule_entry
from tests.contract.pfsense_rig import PfSenseRig
from tests.usecases.support import World

from .shop import shop_on_pfsense


@pytest.fixture
def shop() -> Iterator[tuple[World, PfSenseRig]]:
    with shop_on_pfsense() as both:
        yield both


def test_a_rule_deleted_and_a_mapping_copied_by_hand_are_put_right(
    shop: tuple[World, PfSenseRig],
):
    world, rig = shop
    customer = world.customer()
    web = world.running_server(customer, name="web-1", location_id=1)
    mac = web.placement.mac_address
    assert mac is not None
    sim = rig.sims[1]
    https = naming.rule_descr(web.id, DEFAULT_INBOUND[-1])  # the last: the others keep their order
    assert sim.delete_object("rule", lambda r: r["descr"] == https) == 1
    mapping = next(m for m in sim.config_state()["static_mappings"] if m["mac"] == mac)
    sim.duplicate_object("static_mapping", mapping["id"], parent_id=mapping["parent_id"])
    sim.apply_all()  # the hand edits are live

    result = reconcile_fabric(world.rt)

    assert result.errors == {}
    report = result.reports[1]
    assert report.created == [rule_entry(web.id, DEFAULT_INBOUND[-1])]
    assert report.duplicates_removed == [mapping_entry(mac)] and report.removed == []
    state = world.rt.fabric.state(1)
    assert state.rules == {web.id: DEFAULT_INBOUND} and not state.pending_changes
    assert [m.mac_address for m in state.mappings] == [mac]
    live = sim.live_state()
    ours = Counter(naming.key_of(o["descr"]) for kind in ("static_mappings", "rules")
                   for o in live[kind] if naming.is_ours(o.get("descr")))  # fmt: skip
    assert max(ours.values()) == 1
    assert sim.config_state() == live
    assert not reconcile_fabric(world.rt).changed  # nothing left to do
