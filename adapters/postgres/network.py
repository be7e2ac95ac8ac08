"""Address, MAC and VLAN allocations in PostgreSQL; uniqueness is the tables' constraints.

Allocation is optimistic: the caller picks the next free value from what it saw, and the insert
either wins or finds the value taken (`ON CONFLICT DO NOTHING`) and reports AlreadyExists, with the
transaction still usable, so the caller can pick again.
"""

from __future__ import annotations

from adapters.postgres.rows import structure
from adapters.postgres.session import Db
from domain.model.errors import AlreadyExists
from domain.model.network import IpPool


class PostgresNetworkRepository:
    def __init__(self, db: Db) -> None:
        self._db = db

    # --- addresses -------------------------------------------------------------------------------
    def pools(self, location_id: int) -> list[IpPool]:
        rows = self._db.rows(
            "SELECT location_id, cidr, gateway, reserved FROM ip_pools"
            " WHERE location_id = %s ORDER BY cidr",
            (location_id,),
        )
        return [structure(r, IpPool) for r in rows]

    def add_pool(self, pool: IpPool) -> None:
        inserted = self._db.run(
            "INSERT INTO ip_pools (cidr, location_id, gateway, reserved) VALUES (%s, %s, %s, %s)"
            " ON CONFLICT DO NOTHING",
            (pool.cidr, pool.location_id, pool.gateway, sorted(pool.reserved)),
        )
        if not inserted:
            raise AlreadyExists(f"pool {pool.cidr} exists or overlaps another", cidr=pool.cidr)

    def taken_ips(self, cidr: str) -> set[str]:
        rows = self._db.rows("SELECT ip FROM ip_assignments WHERE cidr = %s", (cidr,))
        return {r["ip"] for r in rows}

    def assign_ip(self, cidr: str, ip: str, server_id: int) -> None:
        inserted = self._db.run(
            "INSERT INTO ip_assignments (cidr, ip, server_id) VALUES (%s, %s, %s)"
            " ON CONFLICT DO NOTHING",
            (cidr, ip, server_id),
        )
        if inserted:
            return
        if self.ip_of(server_id) is not None:
            raise AlreadyExists(f"server {server_id} already has an address", server_id=server_id)
        raise AlreadyExists("the address picked was taken meanwhile; try again")

    def ip_of(self, server_id: int) -> tuple[str, str] | None:
        row = self._db.row("SELECT cidr, ip FROM ip_assignments WHERE server_id = %s", (server_id,))
        return (row["cidr"], row["ip"]) if row else None

    def release_ip(self, server_id: int) -> None:
        self._db.run("DELETE FROM ip_assignments WHERE server_id = %s", (server_id,))

    # --- MACs ------------------------------------------------------------------------------------
    def next_mac_sequence(self) -> int:
        return int(self._db.scalar("SELECT nextval('mac_sequence')"))

    # --- VLANs -----------------------------------------------------------------------------------
    def vlan_of(self, customer_id: int, location_id: int) -> int | None:
        found = self._db.scalar(
            "SELECT tag FROM vlans WHERE customer_id = %s AND location_id = %s",
            (customer_id, location_id),
        )
        return None if found is None else int(found)

    def taken_vlans(self, location_id: int) -> set[int]:
        rows = self._db.rows("SELECT tag FROM vlans WHERE location_id = %s", (location_id,))
        return {int(r["tag"]) for r in rows}

    def assign_vlan(self, customer_id: int, location_id: int, vlan: int) -> None:
        inserted = self._db.run(
            "INSERT INTO vlans (customer_id, location_id, tag) VALUES (%s, %s, %s)"
            " ON CONFLICT DO NOTHING",
            (customer_id, location_id, vlan),
        )
        if inserted:
            return
        if self.vlan_of(customer_id, location_id) is not None:
            raise AlreadyExists("the customer already has a VLAN here", customer_id=customer_id)
        raise AlreadyExists(f"VLAN {vlan} is taken", vlan=vlan)

    def release_vlan(self, customer_id: int, location_id: int) -> None:
        self._db.run(
            "DELETE FROM vlans WHERE customer_id = %s AND location_id = %s",
            (customer_id, location_id),
        )
