"""The rules a customer's own firewall list must satisfy (domain/model/firewall.py)."""

from __future__ import annotations

import pytest

from domain.model.errors import ValidationError
from domain.model.firewall import MAX_RULES, RuleRequest, customer_rules
from domain.model.network import FirewallRule

CUSTOMERS = ("10.20.0.0/16", "2001:db8::/48")


def rules(*requested: RuleRequest) -> tuple[FirewallRule, ...]:
    return customer_rules(list(requested), customer_networks=CUSTOMERS)


def field_of(*requested: object) -> str:
    with pytest.raises(ValidationError) as raised:
        customer_rules(list(requested), customer_networks=CUSTOMERS)
    return raised.value.field


def test_defaults_fill_in_one_port_and_anyone() -> None:
    assert rules(RuleRequest("tcp", 22), RuleRequest("icmp")) == (
        FirewallRule("tcp", 22, 22, "0.0.0.0/0", ""),
        FirewallRule("icmp", None, None, "0.0.0.0/0", ""),
    )


def test_the_whole_address_space_is_anyone_not_a_customer_range() -> None:
    assert rules(RuleRequest("tcp", 22, source="0.0.0.0/0"))[0].source == "0.0.0.0/0"


@pytest.mark.parametrize("source", ["10.20.5.0/24", "10.20.5.5", "10.16.0.0/12", "10.20.0.0/16"])
def test_inside_or_around_a_customer_range_is_refused(source: str) -> None:
    assert field_of(RuleRequest("udp", 53, source=source)) == "rules.0.source"


@pytest.mark.parametrize("source", ["10.21.0.0/16", "10.19.255.255", "172.16.0.0/12"])
def test_next_to_a_customer_range_is_allowed(source: str) -> None:
    assert rules(RuleRequest("udp", 53, source=source))[0].source.startswith(source.split("/")[0])


def test_a_repeat_differs_only_in_its_description() -> None:
    assert field_of(RuleRequest("tcp", 22, 22), RuleRequest("tcp", 22, description="x")) == (
        "rules.1"
    )
    # Another protocol, range or source is another rule.
    assert (
        len(rules(RuleRequest("tcp", 22), RuleRequest("udp", 22), RuleRequest("tcp", 22, 23))) == 3
    )


def test_the_limit_counts_rules() -> None:
    assert len(rules(*[RuleRequest("tcp", p) for p in range(1, MAX_RULES + 1)])) == MAX_RULES
    assert field_of(*[RuleRequest("tcp", p) for p in range(1, MAX_RULES + 2)]) == "rules"
