"""Address, MAC and VLAN allocations in memory; uniqueness comes from the serialized store."""

from __future__ import annotations

from adapters.memory.tables import Tables
from domain.model.errors import AlreadyExists
from domain.model.network import IpPool


class InMemoryNetworkRepository:
    def __init__(self, uow: Tables) -> None:
        self._uow = uow

    # --- addresses -------------------------------------------------------------------------------
    def pools(self, location_id: int) -> list[IpPool]:
        pools: dict[str, IpPool] = self._uow.read("ip_pools")
        return [p for p in pools.values() if p.location_id == location_id]

    def add_pool(self, pool: IpPool) -> None:
        if pool.cidr in self._uow.read("ip_pools"):
            raise AlreadyExists(f"pool {pool.cidr} exists", cidr=pool.cidr)
        self._uow.write("ip_pools")[pool.cidr] = pool

    def taken_ips(self, cidr: str) -> set[str]:
        by_address: dict[tuple[str, str], int] = self._uow.read("ip_by_address")
        return {ip for (pool, ip) in by_address if pool == cidr}

    def assign_ip(self, cidr: str, ip: str, server_id: int) -> None:
        if (cidr, ip) in self._uow.read("ip_by_address"):
            raise AlreadyExists("the address picked was taken meanwhile; try again")
        if server_id in self._uow.read("ip_by_server"):
            raise AlreadyExists(f"server {server_id} already has an address", server_id=server_id)
        self._uow.write("ip_by_address")[(cidr, ip)] = server_id
        self._uow.write("ip_by_server")[server_id] = (cidr, ip)

    def ip_of(self, server_id: int) -> tuple[str, str] | None:
        found: tuple[str, str] | None = self._uow.read("ip_by_server").get(server_id)
        return found

    def release_ip(self, server_id: int) -> None:
        assigned = self.ip_of(server_id)
        if assigned is None:
            return
        del self._uow.write("ip_by_server")[server_id]
        self._uow.write("ip_by_address").pop(assigned, None)

    # --- MACs ------------------------------------------------------------------------------------
    def next_mac_sequence(self) -> int:
        return self._uow.next_id("mac_sequence")

    # --- VLANs -----------------------------------------------------------------------------------
    def vlan_of(self, customer_id: int, location_id: int) -> int | None:
        found: int | None = self._uow.read("vlan_by_customer").get((customer_id, location_id))
        return found

    def taken_vlans(self, location_id: int) -> set[int]:
        by_tag: dict[tuple[int, int], int] = self._uow.read("vlan_by_tag")
        return {tag for (location, tag) in by_tag if location == location_id}

    def assign_vlan(self, customer_id: int, location_id: int, vlan: int) -> None:
        if (location_id, vlan) in self._uow.read("vlan_by_tag"):
            raise AlreadyExists(f"VLAN {vlan} is taken", vlan=vlan)
        if (customer_id, location_id) in self._uow.read("vlan_by_customer"):
            raise AlreadyExists("the customer already has a VLAN here", customer_id=customer_id)
        self._uow.write("vlan_by_tag")[(location_id, vlan)] = customer_id
        self._uow.write("vlan_by_customer")[(customer_id, location_id)] = vlan

    def release_vlan(self, customer_id: int, location_id: int) -> None:
        tag = self.vlan_of(customer_id, location_id)
        if tag is None:
            return
        del self._uow.write("vlan_by_customer")[(customer_id, location_id)]
        self._uow.write("vlan_by_tag").pop((location_id, tag), None)
