"""The warm pool in PostgreSQL.

A claim deletes the row it hands out. `FOR UPDATE SKIP LOCKED` in the sub-select makes concurrent
claims pass over a row another transaction is taking instead of queueing behind it (and then finding
it gone): each claim gets a different guest or none, and nobody waits.
"""

from __future__ import annotations

import builtins

from adapters.postgres.rows import structure, unstructure
from adapters.postgres.session import Db, Row, insert_new, next_id, update_by_id
from domain.model.errors import AlreadyExists, NotFound
from domain.model.warm_pool import PooledGuest, PoolState

CLAIM = """
DELETE FROM warm_pool WHERE id = (
    SELECT id FROM warm_pool
    WHERE location_id = %s AND image_id = %s AND state = %s AND disk_gib <= %s
    ORDER BY created_at, id
    FOR UPDATE SKIP LOCKED
    LIMIT 1
)
RETURNING *
"""


def _from(row: Row) -> PooledGuest:
    return structure(dict(row), PooledGuest)


class PostgresWarmPoolRepository:
    def __init__(self, db: Db) -> None:
        self._db = db

    def next_id(self) -> int:
        return next_id(self._db, "warm_pool")

    def add(self, guest: PooledGuest) -> None:
        if not insert_new(self._db, "warm_pool", unstructure(guest)):
            raise AlreadyExists(f"pooled guest {guest.id} (vmid {guest.vmid}) exists", id=guest.id)

    def update(self, guest: PooledGuest) -> None:
        if not update_by_id(self._db, "warm_pool", unstructure(guest)):
            raise NotFound("pooled guest", guest.id)

    def remove(self, guest_id: int) -> None:
        self._db.run("DELETE FROM warm_pool WHERE id = %s", (guest_id,))

    def claim(self, location_id: int, image_id: int, *, max_disk_gib: int) -> PooledGuest | None:
        row = self._db.row(CLAIM, (location_id, image_id, PoolState.READY.value, max_disk_gib))
        return _from(row) if row else None

    def by_vmid(self, vmid: int) -> PooledGuest | None:
        row = self._db.row("SELECT * FROM warm_pool WHERE vmid = %s", (vmid,))
        return _from(row) if row else None

    def in_location(self, location_id: int) -> builtins.list[PooledGuest]:
        rows = self._db.rows(
            "SELECT * FROM warm_pool WHERE location_id = %s ORDER BY created_at, id",
            (location_id,),
        )
        return [_from(r) for r in rows]

    def all(self) -> builtins.list[PooledGuest]:
        return [_from(r) for r in self._db.rows("SELECT * FROM warm_pool ORDER BY created_at, id")]
