"""The fabric under the firewall's failures: waits out the write lock, never duplicates after a
lost answer, never retries a refusal, and says clearly what a 409 means."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from adapters.pfsense import FirewallBusy, FirewallConflict, FirewallMisconfigured, naming
from adapters.pfsense.fabric import PfSenseFabric
from domain.model.errors import Conflict, ExternalFailure, Unavailable
from domain.model.network import DEFAULT_INBOUND
from ports.network import StaticMapping
from tests.contract.pfsense_rig import ATTEMPTS, PfSenseRig, site_for

from .conftest import LOC

MAPPING = StaticMapping("02:48:50:00:00:01", "10.20.1.5", "srv-1", 101)


def provision(rig: PfSenseRig) -> None:
    f = rig.fabric
    f.ensure_vlan(LOC, 10, 101)
    f.ensure_mapping(LOC, MAPPING)
    f.ensure_rules(LOC, 1, MAPPING.ip_address, 101, DEFAULT_INBOUND)
    f.apply(LOC)


def ours(view: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [o for o in view[kind] if naming.is_ours(o.get("descr"))]


def keys(rig: PfSenseRig) -> Counter[str]:
    return Counter(naming.key_of(r["descr"]) for r in ours(rig.sims[LOC].config_state(), "rules"))


def test_a_held_write_lock_is_waited_out_as_retry_after_says(rig: PfSenseRig):
    sim = rig.sims[LOC]
    sim.retry_after = 7
    sim.hold_write_lock()

    def pause(seconds: float) -> None:  # the other writer finishes while we wait
        rig.pauses.append(seconds)
        sim.release_write_lock()

    fabric = PfSenseFabric({LOC: rig.site(LOC)}, sleep=pause)
    fabric.ensure_vlan(LOC, 10, 101)
    fabric.close()
    assert rig.pauses == [7.0]
    assert rig.config_state(LOC).vlans == {101: 10}


def test_a_lock_that_stays_held_is_unavailable_and_writes_nothing(rig: PfSenseRig):
    rig.sims[LOC].hold_write_lock()
    with pytest.raises(FirewallBusy) as raised:
        rig.fabric.ensure_vlan(LOC, 10, 101)
    assert isinstance(raised.value, Unavailable)
    assert len(rig.pauses) == ATTEMPTS - 1
    rig.sims[LOC].release_write_lock()
    assert rig.sims[LOC].config_state()["vlans"] == []


@pytest.mark.parametrize("status", [504, 502, 0])
def test_a_rule_write_whose_answer_is_lost_is_not_made_twice(rig: PfSenseRig, status: int):
    rig.fabric.ensure_vlan(LOC, 10, 101)
    rig.fabric.ensure_mapping(LOC, MAPPING)
    rig.sims[LOC].fail_next("POST", "/firewall/rule", status=status, after_commit=True, times=2)
    rig.fabric.ensure_rules(LOC, 1, MAPPING.ip_address, 101, DEFAULT_INBOUND)
    rig.fabric.apply(LOC)
    assert set(keys(rig).values()) == {1}  # every natural key once
    assert rig.live_state(LOC).rules == {1: DEFAULT_INBOUND}


def test_a_vlan_write_whose_answer_is_lost_is_read_back_not_repeated(rig: PfSenseRig):
    rig.sims[LOC].fail_next("POST", "/interface/vlan", status=504, after_commit=True)
    rig.fabric.ensure_vlan(LOC, 10, 101)
    assert len(rig.sims[LOC].config_state()["vlans"]) == 1
    assert rig.sims[LOC].requests.count(("POST", "/api/v2/interface/vlan")) == 1


def test_an_address_inside_the_dhcp_range_is_a_clear_conflict_never_retried(rig: PfSenseRig):
    rig.fabric.ensure_vlan(LOC, 10, 101)
    in_range = StaticMapping("02:48:50:00:00:09", "10.20.1.250", "srv-9", 101)
    with pytest.raises(FirewallConflict) as raised:
        rig.fabric.ensure_mapping(LOC, in_range)
    assert isinstance(raised.value, Conflict) and isinstance(raised.value, ExternalFailure)
    assert raised.value.response_id == "DHCP_SERVER_STATIC_MAPPING_IPADDR_OVERLAPS_EXISTING_OBJECT"
    assert "409" in raised.value.message
    sent = rig.sims[LOC].requests.count(("POST", "/api/v2/services/dhcp_server/static_mapping"))
    assert sent == 1 and rig.pauses == []


def test_a_refusal_is_not_retried(rig: PfSenseRig):
    rig.fabric.ensure_vlan(LOC, 10, 101)
    rig.fail_next("ensure_mapping", message="no")
    with pytest.raises(ExternalFailure) as raised:
        rig.fabric.ensure_mapping(LOC, MAPPING)
    assert not isinstance(raised.value, Unavailable) and rig.pauses == []


def test_a_wrong_api_key_raises_the_configuration_alarm(rig: PfSenseRig):
    fabric = PfSenseFabric(
        {LOC: site_for(rig.sims[LOC], api_key="revoked")}, sleep=rig.pauses.append
    )
    with pytest.raises(FirewallMisconfigured):
        fabric.ensure_vlan(LOC, 10, 101)
    fabric.close()
    assert rig.pauses == []


def test_a_tag_of_another_customer_or_not_ours_is_a_conflict(rig: PfSenseRig):
    rig.fabric.ensure_vlan(LOC, 10, 101)
    with pytest.raises(Conflict):
        rig.fabric.ensure_vlan(LOC, 11, 101)
    rig.sims[LOC].add_object("vlan", {"if": "vtnet1", "tag": 102, "descr": "the office"})
    with pytest.raises(Conflict):
        rig.fabric.ensure_vlan(LOC, 11, 102)
    rig.fabric.remove_vlan(LOC, 11, 102)  # not ours: left alone
    assert [v["descr"] for v in rig.sims[LOC].config_state()["vlans"]][-1] == "the office"


def test_removal_undoes_everything_in_reverse_and_is_idempotent(rig: PfSenseRig):
    pristine = rig.sims[LOC].config_state()
    provision(rig)
    for _ in range(2):
        rig.fabric.remove_rules(LOC, 1)
        rig.fabric.remove_mapping(LOC, MAPPING.mac_address)
        rig.fabric.remove_vlan(LOC, 10, 101)
        rig.fabric.apply(LOC)
    assert rig.sims[LOC].config_state() == pristine
    assert rig.sims[LOC].live_state() == pristine
    assert not rig.fabric.state(LOC).pending_changes


def test_a_location_without_a_firewall_is_refused(rig: PfSenseRig):
    with pytest.raises(ExternalFailure):
        rig.fabric.ensure_vlan(LOC + 5, 10, 101)
