"""What a fabric operation asks the firewall: the interface assignments once per operation, not
once per step (each read is a round trip made while the firewall's lock is held)."""

from __future__ import annotations

from domain.model.network import DEFAULT_INBOUND
from tests.contract.pfsense_rig import PfSenseRig

from .conftest import LOC


def interface_reads(sim: object, since: int = 0) -> int:
    requests = sim.requests[since:]  # type: ignore[attr-defined]
    return sum(1 for method, path in requests if method == "GET" and path.endswith("/interfaces"))


def test_a_vlan_and_a_servers_rules_read_the_interfaces_once_each(rig: PfSenseRig) -> None:
    sim = rig.sims[LOC]
    rig.fabric.ensure_vlan(LOC, 10, 101)  # a new VLAN: its interface, DHCP server, isolation
    assert interface_reads(sim) == 2  # by description to find it, then the whole list once

    before = len(sim.requests)
    rig.fabric.ensure_rules(LOC, 1, "10.20.1.5", 101, DEFAULT_INBOUND)
    assert interface_reads(sim, since=before) == 1
