from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.model.errors import CapacityExhausted, ValidationError
from domain.model.network import (
    DEFAULT_INBOUND,
    MAC_SPACE,
    CustomerNetworks,
    FirewallRule,
    IpPool,
    VlanRange,
    mac_address,
)


class TestIpPool:
    pool = IpPool(1, "10.0.0.0/29", "10.0.0.1", frozenset({"10.0.0.4"}))  # hosts .1 to .6

    def test_lowest_free_address_skips_gateway_and_reserved(self) -> None:
        assert self.pool.next_free([]) == "10.0.0.2"
        assert self.pool.next_free(["10.0.0.2", "10.0.0.3"]) == "10.0.0.5"  # .4 is reserved
        assert self.pool.next_free(["10.0.0.2", "10.0.0.5"]) == "10.0.0.3"  # gaps are reused

    def test_network_and_broadcast_are_never_handed_out(self) -> None:
        with pytest.raises(CapacityExhausted) as err:
            self.pool.next_free(["10.0.0.2", "10.0.0.3", "10.0.0.5", "10.0.0.6"])
        assert err.value.details == {"pool": "10.0.0.0/29"}

    def test_prefix_length(self) -> None:
        assert self.pool.prefix_length == 29

    def test_ipv6(self) -> None:
        pool = IpPool(1, "2001:db8::/126", "2001:db8::1")
        assert pool.next_free([]) == "2001:db8::2"

    @pytest.mark.parametrize(
        ("cidr", "gateway"), [("10.0.0.0/29", "10.0.1.1"), ("10.0.0.1/29", "10.0.0.1")]
    )
    def test_invalid_pools(self, cidr: str, gateway: str) -> None:
        with pytest.raises(ValueError):
            IpPool(1, cidr, gateway)


class TestMac:
    @pytest.mark.parametrize(
        ("sequence", "mac"),
        [
            (0, "02:48:50:00:00:00"),
            (1, "02:48:50:00:00:01"),
            (0x123456, "02:48:50:12:34:56"),
            (MAC_SPACE - 1, "02:48:50:ff:ff:ff"),
        ],
    )
    def test_sequence_to_mac(self, sequence: int, mac: str) -> None:
        assert mac_address(sequence) == mac

    @pytest.mark.parametrize("sequence", [-1, MAC_SPACE])
    def test_space_is_bounded(self, sequence: int) -> None:
        with pytest.raises(CapacityExhausted):
            mac_address(sequence)

    @settings(max_examples=200, deadline=None)
    @given(st.integers(0, MAC_SPACE - 1))
    def test_locally_administered_unicast_and_unique(self, sequence: int) -> None:
        octets = [int(part, 16) for part in mac_address(sequence).split(":")]
        assert len(octets) == 6
        assert octets[0] & 0b10 and not octets[0] & 0b01  # locally administered, unicast
        assert (octets[3] << 16) | (octets[4] << 8) | octets[
            5
        ] == sequence  # injective: it decodes back


class TestVlan:
    def test_next_free(self) -> None:
        vlans = VlanRange(100, 103)
        assert vlans.next_free([]) == 100
        assert vlans.next_free([100, 101]) == 102
        assert vlans.next_free([100, 102]) == 101
        with pytest.raises(CapacityExhausted):
            vlans.next_free([100, 101, 102, 103])

    def test_defaults(self) -> None:
        assert (VlanRange().first, VlanRange().last) == (100, 3999)

    @pytest.mark.parametrize(("first", "last"), [(1, 10), (10, 4095), (20, 10), (0, 0)])
    def test_tags_are_2_to_4094(self, first: int, last: int) -> None:
        with pytest.raises(ValueError):
            VlanRange(first, last)


class TestFirewallRule:
    @pytest.mark.parametrize(
        "rule",
        [("tcp", 22, 22), ("udp", 60000, 61000), ("icmp", None, None), ("tcp", 1, 65535)],
    )
    def test_valid(self, rule: tuple[str, int | None, int | None]) -> None:
        assert FirewallRule(*rule).source == "0.0.0.0/0"

    @pytest.mark.parametrize(
        ("args", "field"),
        [
            (("gre", None, None), "protocol"),
            (("icmp", 1, 1), "port"),
            (("tcp", None, 22), "port"),
            (("udp", 0, 10), "port"),
            (("tcp", 10, 65536), "port"),
            (("tcp", 443, 80), "port"),
        ],
    )
    def test_invalid(self, args: tuple[str, int | None, int | None], field: str) -> None:
        with pytest.raises(ValidationError) as err:
            FirewallRule(*args)
        assert err.value.field == field

    @pytest.mark.parametrize(
        "source", ["10.0.0.0/8", "10.0.0.5/24", "203.0.113.7", "2001:db8::/32"]
    )
    def test_sources(self, source: str) -> None:
        assert FirewallRule("tcp", 22, 22, source=source).source == source

    @pytest.mark.parametrize("source", ["anywhere", "10.0.0.0/33", ""])
    def test_bad_source(self, source: str) -> None:
        with pytest.raises(ValidationError) as err:
            FirewallRule("tcp", 22, 22, source=source)
        assert err.value.field == "source"

    def test_default_inbound_opens_ssh_and_web(self) -> None:
        assert [(r.protocol, r.port_from, r.port_to) for r in DEFAULT_INBOUND] == [
            ("tcp", 22, 22),
            ("tcp", 80, 80),
            ("tcp", 443, 443),
        ]


class TestCustomerNetworks:
    PLAN = CustomerNetworks("10.20.0.0/16", prefix=24, dynamic_hosts=8)
    VLANS = VlanRange(100, 3999)

    def test_the_tag_picks_the_subnet_and_its_first_host_is_the_gateway(self) -> None:
        pool = self.PLAN.pool_for(7, 100, self.VLANS)
        assert (pool.location_id, pool.cidr, pool.gateway) == (7, "10.20.0.0/24", "10.20.0.1")
        assert self.PLAN.pool_for(7, 101, self.VLANS).cidr == "10.20.1.0/24"
        assert self.PLAN.pool_for(7, 355, self.VLANS).cidr == "10.20.255.0/24"

    def test_the_top_hosts_are_left_to_the_firewalls_dynamic_range(self) -> None:
        assert self.PLAN.dynamic_range(101, self.VLANS) == ("10.20.1.247", "10.20.1.254")
        pool = self.PLAN.pool_for(7, 101, self.VLANS)
        assert pool.reserved == frozenset(f"10.20.1.{h}" for h in range(247, 255))
        taken = {f"10.20.1.{h}" for h in range(2, 247)}
        with pytest.raises(CapacityExhausted):
            pool.next_free(taken)
        assert pool.next_free(taken - {"10.20.1.246"}) == "10.20.1.246"

    def test_subnets_of_different_tags_never_overlap(self) -> None:
        subnets = [self.PLAN.subnet_of(tag, self.VLANS) for tag in range(100, 356)]
        assert all(not a.overlaps(b) for a, b in zip(subnets, subnets[1:], strict=False))
        assert len(set(subnets)) == 256

    def test_a_tag_beyond_the_supernet_or_the_range_has_no_subnet(self) -> None:
        with pytest.raises(CapacityExhausted):
            self.PLAN.subnet_of(356, self.VLANS)  # a /16 holds 256 /24s
        with pytest.raises(CapacityExhausted):
            self.PLAN.subnet_of(99, self.VLANS)

    @pytest.mark.parametrize(
        "supernet, prefix, dynamic",
        [("10.0.0.0/24", 16, 8), ("10.0.0.0/16", 30, 1), ("10.0.0.0/16", 28, 13)],
    )
    def test_a_plan_that_cannot_work_is_refused(
        self, supernet: str, prefix: int, dynamic: int
    ) -> None:
        with pytest.raises(ValueError):
            CustomerNetworks(supernet, prefix=prefix, dynamic_hosts=dynamic)
