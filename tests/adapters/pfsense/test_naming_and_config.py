"""Natural keys read back as what was written; each VLAN's subnet follows from the site."""

from __future__ import annotations

import ipaddress

import pytest

from adapters.pfsense import FirewallSite, naming
from domain.model.network import CustomerNetworks, FirewallRule, VlanRange

RULES = [
    FirewallRule("tcp", 22, 22, description="ssh"),
    FirewallRule("udp", 1000, 2000, source="203.0.113.0/24", description="game server: eu"),
    FirewallRule("icmp", None, None),
]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: naming.rule_key(7, r))
def test_a_rule_descr_reads_back_as_the_rule(rule: FirewallRule):
    parsed = naming.parse_rule_descr(naming.rule_descr(7, rule))
    assert parsed is not None and (parsed.server_id, parsed.rule) == (7, rule)


def test_keys_keep_servers_and_vlans_apart():
    assert not naming.rule_descr(10, RULES[0]).startswith(naming.server_rule_prefix(1))
    assert naming.parse_isolation_descr(naming.isolation_descr(1000, "10.0.0.0/8")) == 1000
    assert naming.parse_vlan_descr(naming.vlan_descr(42, 100)) == (42, 100)
    assert naming.parse_rule_descr("hostprovider:server-1:in:tcp/0") is None  # not a valid rule


def site(**changes: object) -> FirewallSite:
    fields: dict = dict(url="http://fw", api_key="k", networks=CustomerNetworks("10.20.0.0/16"),
                        vlan_range=VlanRange(100, 355))  # fmt: skip
    fields.update(changes)
    return FirewallSite(**fields)


def test_each_vlan_gets_its_own_subnet_with_the_dynamic_range_on_top():
    addressing = site().addressing(102)
    assert str(addressing.subnet) == "10.20.2.0/24" and addressing.gateway == "10.20.2.1"
    assert (addressing.range_from, addressing.range_to) == ("10.20.2.247", "10.20.2.254")
    assert site().vlan_of("10.20.2.9") == 102 and site().vlan_of("192.0.2.1") is None


def test_a_site_whose_supernet_cannot_hold_its_vlans_is_refused():
    with pytest.raises(ValueError):
        site(vlan_range=VlanRange(100, 3999))
    with pytest.raises(ValueError):
        site().addressing(99)


def test_the_firewall_lays_out_a_vlan_as_our_ipam_hands_out_its_addresses():
    """One plan for both: the pool our IPAM allocates from is the firewall's subnet, with its
    gateway, and keeps clear of the firewall's dynamic DHCP range."""
    plan = CustomerNetworks("10.20.0.0/16", prefix=26, dynamic_hosts=4)
    firewall = site(networks=plan, vlan_range=VlanRange(100, 1123))
    for tag in (100, 101, 1123):
        addressing, pool = firewall.addressing(tag), plan.pool_for(1, tag, firewall.vlan_range)
        assert (str(addressing.subnet), addressing.gateway) == (pool.cidr, pool.gateway)
        low, high = (
            ipaddress.IPv4Address(addressing.range_from),
            ipaddress.IPv4Address(addressing.range_to),
        )
        dynamic = {str(ipaddress.IPv4Address(a)) for a in range(int(low), int(high) + 1)}
        assert dynamic == pool.reserved and len(dynamic) == 4
        assert firewall.vlan_of(pool.next_free(set())) == tag
