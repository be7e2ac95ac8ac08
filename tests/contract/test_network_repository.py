"""NetworkRepository: unique addresses, MAC sequence numbers and VLANs."""

from __future__ import annotations

import threading

import pytest

from domain.model.errors import AlreadyExists
from domain.model.network import IpPool

POOL = IpPool(1, "10.20.0.0/24", "10.20.0.1")
OTHER = IpPool(2, "10.30.0.0/24", "10.30.0.1")


def test_pools_per_location(uow_factory):
    with uow_factory() as uow:
        uow.network.add_pool(POOL)
        uow.network.add_pool(OTHER)
        with pytest.raises(AlreadyExists):
            uow.network.add_pool(POOL)
        uow.commit()
    with uow_factory() as uow:
        assert uow.network.pools(1) == [POOL]
        assert uow.network.pools(3) == []


def test_assign_release_and_uniqueness_of_addresses(uow_factory):
    with uow_factory() as uow:
        uow.network.add_pool(POOL)
        uow.network.assign_ip(POOL.cidr, "10.20.0.2", 1)
        with pytest.raises(AlreadyExists) as taken:
            uow.network.assign_ip(POOL.cidr, "10.20.0.2", 2)
        # The address is another server's (another customer's, maybe): the refusal does not say.
        assert "10.20.0.2" not in taken.value.message + repr(taken.value.details)
        with pytest.raises(AlreadyExists):
            uow.network.assign_ip(POOL.cidr, "10.20.0.3", 1)  # one address per server
        uow.network.assign_ip(POOL.cidr, "10.20.0.3", 2)
        uow.commit()
    with uow_factory() as uow:
        assert uow.network.taken_ips(POOL.cidr) == {"10.20.0.2", "10.20.0.3"}
        assert uow.network.ip_of(1) == (POOL.cidr, "10.20.0.2")
        assert uow.network.ip_of(9) is None
        uow.network.release_ip(1)
        uow.network.release_ip(1)  # already released: nothing to do
        uow.commit()
    with uow_factory() as uow:
        assert uow.network.taken_ips(POOL.cidr) == {"10.20.0.3"}
        uow.network.assign_ip(POOL.cidr, "10.20.0.2", 5)
        uow.commit()


def test_racing_servers_never_share_an_address(uow_factory):
    with uow_factory() as uow:
        uow.network.add_pool(POOL)
        uow.commit()
    got: dict[int, str] = {}

    def allocate(server_id: int) -> None:
        for _ in range(50):
            try:
                with uow_factory() as uow:
                    ip = POOL.next_free(uow.network.taken_ips(POOL.cidr))
                    uow.network.assign_ip(POOL.cidr, ip, server_id)
                    uow.commit()
                got[server_id] = ip
                return
            except AlreadyExists:
                continue

    threads = [threading.Thread(target=allocate, args=(s,)) for s in range(1, 21)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 20 and len(set(got.values())) == 20


def test_mac_sequence_numbers_are_never_handed_out_twice(uow_factory):
    with uow_factory() as uow:
        first = uow.network.next_mac_sequence()
    with uow_factory() as uow:
        second = uow.network.next_mac_sequence()
        third = uow.network.next_mac_sequence()
        uow.commit()
    assert len({first, second, third}) == 3


def test_vlans_one_per_customer_and_location_and_unique_tags(uow_factory):
    with uow_factory() as uow:
        uow.network.assign_vlan(10, 1, 100)
        with pytest.raises(AlreadyExists):
            uow.network.assign_vlan(11, 1, 100)  # tag taken here
        with pytest.raises(AlreadyExists):
            uow.network.assign_vlan(10, 1, 101)  # customer has one here
        uow.network.assign_vlan(11, 2, 100)  # the same tag elsewhere is fine
        uow.network.assign_vlan(10, 2, 101)
        uow.commit()
    with uow_factory() as uow:
        assert uow.network.vlan_of(10, 1) == 100
        assert uow.network.vlan_of(12, 1) is None
        assert uow.network.taken_vlans(1) == {100}
        assert uow.network.taken_vlans(2) == {100, 101}
        uow.network.release_vlan(10, 1)
        uow.network.release_vlan(10, 1)
        uow.commit()
    with uow_factory() as uow:
        assert uow.network.taken_vlans(1) == set()
        uow.network.assign_vlan(11, 1, 100)
        uow.commit()


def test_rollback_releases_nothing_and_assigns_nothing(uow_factory):
    with uow_factory() as uow:
        uow.network.add_pool(POOL)
        uow.network.assign_ip(POOL.cidr, "10.20.0.2", 1)
        uow.network.assign_vlan(10, 1, 100)
    with uow_factory() as uow:
        assert uow.network.pools(1) == []
        assert uow.network.ip_of(1) is None
        assert uow.network.vlan_of(10, 1) is None
