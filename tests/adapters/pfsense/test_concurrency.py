"""Twenty servers of five customers created at once through one fabric: the per-firewall lock
keeps the firewall consistent, and by the rules it enforces no customer reaches another."""

from __future__ import annotations

import itertools
import threading
from collections import Counter

from adapters.pfsense import naming
from domain.model.network import DEFAULT_INBOUND
from ports.network import StaticMapping
from tests.contract.pfsense_rig import PfSenseRig

from .conftest import LOC
from .evaluator import Packet, decide

CUSTOMERS = 5
SERVERS_EACH = 4


def server(customer: int, n: int) -> tuple[int, StaticMapping]:
    server_id = customer * 10 + n
    vlan = 100 + customer  # 10.20.<customer>.0/24
    mac = f"02:48:50:00:{customer:02x}:{n:02x}"
    return server_id, StaticMapping(mac, f"10.20.{customer}.{10 + n}", f"srv-{server_id}", vlan)


def create(rig: PfSenseRig, customer: int, n: int, errors: list[BaseException]) -> None:
    """The saga's network steps for one server."""
    server_id, mapping = server(customer, n)
    try:
        rig.fabric.ensure_vlan(LOC, customer, mapping.vlan)
        rig.fabric.ensure_mapping(LOC, mapping)
        rig.fabric.ensure_rules(LOC, server_id, mapping.ip_address, mapping.vlan, DEFAULT_INBOUND)
        rig.fabric.apply(LOC)
    except BaseException as ex:  # reported by the test, not lost in the thread
        errors.append(ex)


def test_twenty_servers_of_five_customers_at_once(rig: PfSenseRig):
    errors: list[BaseException] = []
    threads = [
        threading.Thread(target=create, args=(rig, customer, n, errors))
        for customer in range(1, CUSTOMERS + 1)
        for n in range(1, SERVERS_EACH + 1)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == [] and not any(t.is_alive() for t in threads)

    live = rig.live_state(LOC)
    assert live.vlans == {100 + c: c for c in range(1, CUSTOMERS + 1)}
    assert len(live.mappings) == CUSTOMERS * SERVERS_EACH
    assert len(live.rules) == CUSTOMERS * SERVERS_EACH
    assert all(rules == DEFAULT_INBOUND for rules in live.rules.values())
    view = rig.sims[LOC].live_state()
    ours = [naming.key_of(r["descr"]) for r in view["rules"] if naming.is_ours(r["descr"])]
    assert max(Counter(ours).values()) == 1  # no rule twice
    assert not rig.fabric.state(LOC).pending_changes
    assert_isolated(view)


def assert_isolated(view: dict) -> None:
    """Every server against every other customer's server, the firewall, the LAN and the
    internet, as the live rules decide."""
    rules, interfaces = view["rules"], view["interfaces"]
    ifid = {naming.parse_interface_descr(i["descr"]): i["id"] for i in interfaces}
    servers = [server(c, n) for c in range(1, CUSTOMERS + 1) for n in range(1, SERVERS_EACH + 1)]
    for (_, a), (_, b) in itertools.permutations(servers, 2):
        packet = Packet(ifid[a.vlan], a.ip_address, b.ip_address)
        verdict = decide(packet, rules, interfaces)
        assert verdict == "block" or a.vlan == b.vlan, (a, b)
    for _, a in servers:
        entering = ifid[a.vlan]
        assert (
            decide(Packet(entering, a.ip_address, "8.8.8.8", port=443), rules, interfaces) == "pass"
        )
        assert decide(Packet(entering, a.ip_address, "192.168.1.10"), rules, interfaces) == "block"
        from_internet = Packet("wan", "203.0.113.9", a.ip_address, port=22)
        assert decide(from_internet, rules, interfaces) == "pass"
        closed = Packet("wan", "203.0.113.9", a.ip_address, port=25)
        assert decide(closed, rules, interfaces) == "block"
