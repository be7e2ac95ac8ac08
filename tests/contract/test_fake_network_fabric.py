"""What the fake fabric adds for tests: call counts, unreachable firewalls, rule sets."""

from __future__ import annotations

import pytest

from adapters.memory import FakeNetworkFabric
from domain.model.errors import Unavailable
from domain.model.network import DEFAULT_INBOUND


def test_calls_are_counted_and_logged():
    f = FakeNetworkFabric()
    f.ensure_vlan(1, 10, 100)
    f.ensure_vlan(1, 10, 100)
    f.apply(1)
    assert f.calls["ensure_vlan"] == 2 and f.calls["apply"] == 1
    assert f.call_log == [("ensure_vlan", 1), ("ensure_vlan", 1), ("apply", 1)]


def test_an_unreachable_firewall_is_unavailable_until_it_comes_back():
    f = FakeNetworkFabric()
    f.set_reachable(1, False)
    with pytest.raises(Unavailable):
        f.ensure_vlan(1, 10, 100)
    f.ensure_vlan(2, 10, 100)
    f.set_reachable(1, True)
    f.ensure_vlan(1, 10, 100)


def test_rule_set_keeps_address_and_vlan():
    f = FakeNetworkFabric()
    f.ensure_rules(1, 7, "10.0.0.7", 100, DEFAULT_INBOUND)
    rs = f.rule_set(1, 7)
    assert rs is not None and (rs.ip_address, rs.vlan, rs.rules) == (
        "10.0.0.7",
        100,
        DEFAULT_INBOUND,
    )
    assert f.rule_set(1, 8) is None


def test_fail_next_names_a_known_operation():
    with pytest.raises(ValueError):
        FakeNetworkFabric().fail_next("ensure_everything")
