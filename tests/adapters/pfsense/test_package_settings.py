"""The adapter speaks whichever interface representation the REST API settings name, and works on
packages before v2.7.0 (DHCP servers made implicitly) as on later ones (made by POST)."""

from __future__ import annotations

import pytest

from adapters.pfsense import FirewallRefused, naming
from domain.model.network import DEFAULT_INBOUND
from ports.network import StaticMapping
from simulators.pfsense import Options
from tests.contract.pfsense_rig import PfSenseRig

from .conftest import LOC

MAPPING = StaticMapping("02:48:50:00:00:01", "10.20.1.5", "srv-1", 101)


def build_and_tear_down(rig: PfSenseRig) -> None:
    f = rig.fabric
    f.ensure_vlan(LOC, 10, 101)
    f.ensure_mapping(LOC, MAPPING)
    f.ensure_rules(LOC, 1, MAPPING.ip_address, 101, DEFAULT_INBOUND)
    f.apply(LOC)
    state = rig.live_state(LOC)
    assert state.vlans == {101: 10} and state.mappings == (MAPPING,)
    assert state.rules == {1: DEFAULT_INBOUND}
    live = rig.sims[LOC].live_state()
    opt = next(i["id"] for i in live["interfaces"] if i["descr"] == naming.interface_descr(101))
    server = next(s for s in live["dhcp_servers"] if s["id"] == opt)
    assert server["enable"] and server["range_from"] == "10.20.1.247"
    inbound = [r for r in live["rules"] if r["descr"].startswith("hostprovider:server-1:")]
    assert {tuple(r["interface"]) for r in inbound} == {("wan",)}  # stored by id, whatever sent
    f.remove_rules(LOC, 1)
    f.remove_mapping(LOC, MAPPING.mac_address)
    f.remove_vlan(LOC, 10, 101)
    f.apply(LOC)
    assert rig.live_state(LOC).vlans == {} and rig.live_state(LOC).rules == {}


@pytest.mark.parametrize("representation", ["descr", "id", "if"])
def test_every_interface_representation_is_spoken(representation: str):
    with PfSenseRig(locations=(LOC,), simulator={"represent_interfaces_as": representation}) as rig:
        build_and_tear_down(rig)  # the rig fails on any request the package would refuse


def test_packages_before_v27_made_dhcp_servers_implicitly_and_still_work():
    legacy = {"options": Options(implicit_dhcp_servers=True)}
    with PfSenseRig(locations=(LOC,), simulator=legacy) as rig:
        build_and_tear_down(rig)
        assert ("POST", "/api/v2/services/dhcp_server") not in rig.sims[LOC].requests


def test_a_representation_changed_under_us_is_read_again():
    with PfSenseRig(locations=(LOC,)) as rig:
        f, sim = rig.fabric, rig.sims[LOC]
        f.ensure_vlan(LOC, 10, 101)
        sim.store.settings["represent_interfaces_as"] = "id"  # an operator's change
        with pytest.raises(FirewallRefused):
            f.ensure_rules(LOC, 1, MAPPING.ip_address, 101, DEFAULT_INBOUND)
        sim.violations.clear()
        f.ensure_rules(LOC, 1, MAPPING.ip_address, 101, DEFAULT_INBOUND)
        f.apply(LOC)
        assert rig.live_state(LOC).rules == {1: DEFAULT_INBOUND}
