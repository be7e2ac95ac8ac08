"""An order through the use cases, on the real pfSense adapter against the simulated firewall (a
v2.7+ package at its defaults, plus KeyAuth): the running server has its VLAN, interface, DHCP
server, static mapping, isolation and inbound rules, 1:1 NAT and virtual IP, all applied; deleting
it leaves the firewall exactly as it was before the order."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from adapters.pfsense import PublicAddressMode, naming
from domain.model.network import DEFAULT_INBOUND
from domain.model.server_commands import OnServer
from domain.usecases import server_commands
from tests.contract.pfsense_rig import PfSenseRig
from tests.usecases.support import World

from .shop import shop_on_pfsense

PUBLIC = ("198.51.100.10", "198.51.100.11")


@pytest.fixture
def shop() -> Iterator[tuple[World, PfSenseRig]]:
    with shop_on_pfsense(public_mode=PublicAddressMode.ONE_TO_ONE_NAT, public_ips=PUBLIC) as both:
        yield both


def test_an_order_builds_the_network_and_a_delete_takes_all_of_it_away(
    shop: tuple[World, PfSenseRig],
):
    world, rig = shop
    sim = rig.sims[1]
    pristine = sim.config_state()
    customer = world.customer()

    web = world.running_server(customer, name="web-1", location_id=1)

    ip, mac, tag = web.placement.ip_address, web.placement.mac_address, web.placement.vlan
    assert ip is not None and mac is not None and tag is not None
    config = sim.config_state()
    assert config == sim.live_state()  # everything applied
    assert [(v["if"], v["tag"], v["descr"]) for v in config["vlans"]] == [
        ("vtnet1", tag, naming.vlan_descr(web.owner_id, tag))
    ]
    (opt,) = [i for i in config["interfaces"] if i["descr"] == naming.interface_descr(tag)]
    assert (opt["if"], opt["typev4"], opt["enable"]) == (f"vtnet1.{tag}", "static", True)
    (dhcp,) = [s for s in config["dhcp_servers"] if s["id"] == opt["id"]]
    assert dhcp["enable"] and dhcp["range_from"] and dhcp["range_to"]
    assert [(m["parent_id"], m["mac"], m["ipaddr"]) for m in config["static_mappings"]
            if naming.is_ours(m["descr"])] == [(opt["id"], mac, ip)]  # fmt: skip
    isolation = [r for r in config["rules"] if naming.parse_isolation_descr(r["descr"]) == tag]
    assert isolation and all(r["interface"] == [opt["id"]] for r in isolation)
    assert isolation[-1]["type"] == "pass" and {r["type"] for r in isolation[:-1]} == {"block"}
    inbound = [r for r in config["rules"]
               if r["descr"].startswith(naming.server_rule_prefix(web.id))]  # fmt: skip
    assert len(inbound) == len(DEFAULT_INBOUND)
    assert all(r["interface"] == ["wan"] and r["destination"] == ip for r in inbound)
    assert [(n["interface"], n["external"], n["source"]) for n in config["one_to_one"]] == [
        ("wan", PUBLIC[0], ip)
    ]
    assert [(v["interface"], v["subnet"], v["mode"]) for v in config["virtual_ips"]] == [
        ("wan", PUBLIC[0], "ipalias")
    ]

    server_commands.delete_server(world.rt, customer, OnServer(web.id))

    assert world.server(web.id).status.value == "deleted"
    assert sim.config_state() == pristine  # VLAN, interface, DHCP, mapping, rules, NAT, VIP: gone
    assert sim.live_state() == pristine
    assert all(other.config_state() == other.live_state() for other in rig.sims.values())
