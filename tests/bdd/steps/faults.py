"""Trouble in the outside world, injected into the fakes before an order is placed."""

from __future__ import annotations

import ipaddress

from pytest_bdd import given

from entrypoints import sandbox

from .common import Shop

MOSCOW = 1
FOREIGN_SERVERS = 900_000  # ids of servers that are not in this scenario: someone else's addresses


@given("every node in Moscow is full")
def _nodes_full(shop: Shop) -> None:
    for n, node in enumerate(shop.hypervisor.nodes(MOSCOW)):
        shop.hypervisor.seed_guest(
            node.name,
            5000 + n,
            name=f"big-tenant-{n}",
            memory_mib=sandbox.NODE_CAPACITY["memory_mib"],
            disk_gib=100,
            cores=8,
        )


@given("every node in Moscow is offline")
def _nodes_offline(shop: Shop) -> None:
    for node in shop.hypervisor.nodes(MOSCOW):
        shop.hypervisor.set_node_online(node.name, False)


@given("no address is left in Moscow")
def _addresses_exhausted(shop: Shop) -> None:
    """Every address of the subnet the next customer VLAN in Moscow will get is taken."""
    vlans = shop.rt.policy.vlan_range
    with shop.store.uow() as uow:
        tag = vlans.next_free(uow.network.taken_vlans(MOSCOW))
        pool = shop.rt.policy.customer_networks[MOSCOW].pool_for(MOSCOW, tag, vlans)
        uow.network.add_pool(pool)
        blocked = pool.reserved | {pool.gateway}
        free = [str(h) for h in ipaddress.ip_network(pool.cidr).hosts() if str(h) not in blocked]
        for n, ip in enumerate(free):
            uow.network.assign_ip(pool.cidr, ip, FOREIGN_SERVERS + n)
        uow.commit()


@given("the firewall refuses the private network")
def _vlan_refused(shop: Shop) -> None:
    shop.fabric.fail_next("ensure_vlan")


@given("the firewall refuses the DHCP mapping")
def _mapping_refused(shop: Shop) -> None:
    shop.fabric.fail_next("ensure_mapping")


@given("the firewall refuses the server's rules")
def _rules_refused(shop: Shop) -> None:
    shop.fabric.fail_next("ensure_rules")


@given("the firewall fails to apply the changes")
def _apply_fails(shop: Shop) -> None:
    shop.fabric.fail_next("apply")


@given("the hypervisor fails to create the guest")
def _create_fails(shop: Shop) -> None:
    shop.hypervisor.fail_next("create")


@given("the hypervisor fails to start the guest")
def _start_fails(shop: Shop) -> None:
    shop.hypervisor.fail_next("start")
