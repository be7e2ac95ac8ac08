"""Addresses, MACs and VLANs for servers: allocated from our own records, never from the
firewall."""

from __future__ import annotations

import contextlib

from domain.model.errors import AlreadyExists, CapacityExhausted
from domain.model.server import Server, ServerStatus
from domain.usecases.runtime import Runtime
from ports.unit_of_work import UnitOfWork

_GONE = (ServerStatus.FAILED, ServerStatus.DELETED)


def allocate_address(uow: UnitOfWork, rt: Runtime, server: Server, vlan: int) -> str:
    """The server's address: the one it has, else the lowest free one of its customer's VLAN
    subnet (or, in a location without per-VLAN subnets, of the location's pools)."""
    assigned = uow.network.ip_of(server.id)
    if assigned is not None:
        return assigned[1]
    plan = rt.policy.customer_networks.get(server.location_id)
    pools = uow.network.pools(server.location_id)
    if plan is not None:
        pool = plan.pool_for(server.location_id, vlan, rt.policy.vlan_range)
        if pool.cidr not in {p.cidr for p in pools}:
            # The subnet follows from the tag, so the row is the same whoever writes it first.
            with contextlib.suppress(AlreadyExists):
                uow.network.add_pool(pool)
        pools = [pool]
    for pool in pools:
        try:
            ip = pool.next_free(uow.network.taken_ips(pool.cidr))
        except CapacityExhausted:
            continue
        uow.network.assign_ip(pool.cidr, ip, server.id)
        return ip
    raise CapacityExhausted(
        "no free address is left in this location", location_id=server.location_id
    )


def allocate_vlan(uow: UnitOfWork, rt: Runtime, server: Server) -> int:
    """The customer's VLAN in the server's location: one per customer, shared by their servers."""
    tag = uow.network.vlan_of(server.owner_id, server.location_id)
    if tag is None:
        tag = rt.policy.vlan_range.next_free(uow.network.taken_vlans(server.location_id))
        uow.network.assign_vlan(server.owner_id, server.location_id, tag)
    return tag


def release_network(rt: Runtime, server: Server) -> None:
    """Give back the server's address, and the customer's VLAN if no other server of theirs uses it.

    The firewall is cleaned first: a VLAN still configured there must not be handed to someone
    else."""
    with rt.uow() as uow:
        others = [
            s
            for s in uow.servers.for_owner(server.owner_id)
            if s.location_id == server.location_id and s.id != server.id and s.status not in _GONE
        ]
        vlan = uow.network.vlan_of(server.owner_id, server.location_id)
    last = not others
    if last and vlan is not None:
        rt.fabric.remove_vlan(server.location_id, server.owner_id, vlan)
        rt.fabric.apply(server.location_id)
    with rt.uow() as uow:
        uow.network.release_ip(server.id)
        if last and vlan is not None:
            uow.network.release_vlan(server.owner_id, server.location_id)
        uow.commit()
