"""Public reachability by 1:1 NAT: each server keeps one public address of the site's list."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from adapters.pfsense import PublicAddressMode, naming
from domain.model.errors import CapacityExhausted
from domain.model.network import DEFAULT_INBOUND
from ports.network import FabricState, RuleTarget
from tests.contract.pfsense_rig import PfSenseRig

from .conftest import LOC

PUBLIC = ("198.51.100.10", "198.51.100.11")


@pytest.fixture
def nat_rig() -> Iterator[PfSenseRig]:
    changes = {"public_mode": PublicAddressMode.ONE_TO_ONE_NAT, "public_ips": PUBLIC}
    with PfSenseRig(locations=(LOC,), site_changes=changes) as started:
        started.fabric.ensure_vlan(LOC, 10, 101)
        yield started


def public_of(rig: PfSenseRig, *, live: bool = True) -> dict[int, tuple[str, str]]:
    """server id -> (public, private) of the 1:1 mappings the firewall holds."""
    sim = rig.sims[LOC]
    view = sim.live_state() if live else sim.config_state()
    found = {}
    for nat in view["one_to_one"]:
        server_id = naming.parse_nat_descr(nat["descr"])
        if server_id is not None:
            found[server_id] = (nat["external"], nat["source"])
    return found


def test_each_server_gets_the_lowest_free_public_address_and_keeps_it(nat_rig: PfSenseRig):
    f = nat_rig.fabric
    f.ensure_rules(LOC, 1, "10.20.1.5", 101, DEFAULT_INBOUND)
    f.ensure_rules(LOC, 2, "10.20.1.6", 101, DEFAULT_INBOUND)
    f.ensure_rules(LOC, 1, "10.20.1.5", 101, DEFAULT_INBOUND[:1])  # a change keeps the address
    f.apply(LOC)
    assert public_of(nat_rig) == {1: (PUBLIC[0], "10.20.1.5"), 2: (PUBLIC[1], "10.20.1.6")}
    with pytest.raises(CapacityExhausted):
        f.ensure_rules(LOC, 3, "10.20.1.7", 101, DEFAULT_INBOUND)
    f.remove_rules(LOC, 1)
    f.ensure_rules(LOC, 3, "10.20.1.7", 101, DEFAULT_INBOUND)
    f.apply(LOC)
    assert public_of(nat_rig) == {2: (PUBLIC[1], "10.20.1.6"), 3: (PUBLIC[0], "10.20.1.7")}


def test_a_nat_deleted_by_hand_comes_back_with_reconciliation(nat_rig: PfSenseRig):
    f = nat_rig.fabric
    f.ensure_rules(LOC, 1, "10.20.1.5", 101, DEFAULT_INBOUND)
    f.apply(LOC)
    nat_rig.sims[LOC].delete_object("one_to_one", lambda n: n["descr"] == naming.nat_descr(1))
    desired = FabricState(
        vlans={101: 10}, rules={1: DEFAULT_INBOUND}, targets={1: RuleTarget("10.20.1.5", 101)}
    )
    report = f.reconcile(LOC, desired)
    assert report.created == ["nat:server-1"]
    assert public_of(nat_rig) == {1: (PUBLIC[0], "10.20.1.5")}


def vips_of(rig: PfSenseRig, *, live: bool = True) -> dict[str, tuple[str, str]]:
    """public address -> (interface id, descr) of the firewall's virtual IPs."""
    sim = rig.sims[LOC]
    view = sim.live_state() if live else sim.config_state()
    return {v["subnet"]: (v["interface"], v["descr"]) for v in view["virtual_ips"]}


def test_each_public_address_is_a_virtual_ip_on_wan_while_its_server_lives(nat_rig: PfSenseRig):
    f = nat_rig.fabric
    f.ensure_rules(LOC, 1, "10.20.1.5", 101, DEFAULT_INBOUND)
    f.apply(LOC)
    assert vips_of(nat_rig) == {PUBLIC[0]: ("wan", naming.vip_descr(1))}
    f.remove_rules(LOC, 1)
    f.apply(LOC)
    assert vips_of(nat_rig) == {} and public_of(nat_rig) == {}


def test_an_address_already_held_on_the_firewall_is_used_as_it_is(nat_rig: PfSenseRig):
    sim = nat_rig.sims[LOC]
    sim.add_object("virtual_ip", {"mode": "proxyarp", "interface": "wan", "subnet": PUBLIC[0],
                                  "subnet_bits": 32, "descr": "the operator's"})  # fmt: skip
    nat_rig.fabric.ensure_rules(LOC, 1, "10.20.1.5", 101, DEFAULT_INBOUND)
    nat_rig.fabric.apply(LOC)
    assert vips_of(nat_rig) == {PUBLIC[0]: ("wan", "the operator's")}


def test_reconciliation_removes_the_virtual_ip_of_a_server_that_is_gone(nat_rig: PfSenseRig):
    f = nat_rig.fabric
    f.ensure_rules(LOC, 1, "10.20.1.5", 101, DEFAULT_INBOUND)
    f.apply(LOC)
    nat_rig.sims[LOC].delete_object("one_to_one", lambda n: True)  # a half-removed server
    report = f.reconcile(LOC, FabricState(vlans={101: 10}))
    assert "vip:server-1" in report.removed
    assert vips_of(nat_rig) == {}
