"""The warm pool in memory: pooled guests by id, claimed under the store's lock."""

from __future__ import annotations

import builtins

from adapters.memory.tables import Tables
from domain.model.errors import AlreadyExists, NotFound
from domain.model.warm_pool import PooledGuest, PoolState


class InMemoryWarmPoolRepository:
    def __init__(self, uow: Tables) -> None:
        self._uow = uow

    def next_id(self) -> int:
        return self._uow.next_id("warm_pool")

    def add(self, guest: PooledGuest) -> None:
        table = self._table()
        if guest.id in table or any(g.vmid == guest.vmid for g in table.values()):
            raise AlreadyExists(f"pooled guest {guest.id} (vmid {guest.vmid}) exists", id=guest.id)
        self._uow.write("warm_pool")[guest.id] = guest
        self._uow.saw_id("warm_pool", guest.id)

    def update(self, guest: PooledGuest) -> None:
        if guest.id not in self._table():
            raise NotFound("pooled guest", guest.id)
        self._uow.write("warm_pool")[guest.id] = guest

    def remove(self, guest_id: int) -> None:
        if guest_id in self._table():
            del self._uow.write("warm_pool")[guest_id]

    def claim(self, location_id: int, image_id: int, *, max_disk_gib: int) -> PooledGuest | None:
        # Units of work run one at a time on the store, so finding and removing is already atomic.
        found = next(
            (
                g
                for g in self._ordered()
                if (g.location_id, g.image_id) == (location_id, image_id)
                and g.state is PoolState.READY
                and g.disk_gib <= max_disk_gib
            ),
            None,
        )
        if found is not None:
            del self._uow.write("warm_pool")[found.id]
        return found

    def by_vmid(self, vmid: int) -> PooledGuest | None:
        return next((g for g in self._table().values() if g.vmid == vmid), None)

    def in_location(self, location_id: int) -> builtins.list[PooledGuest]:
        return [g for g in self._ordered() if g.location_id == location_id]

    def all(self) -> builtins.list[PooledGuest]:
        return self._ordered()

    def _table(self) -> dict[int, PooledGuest]:
        table: dict[int, PooledGuest] = self._uow.read("warm_pool")
        return table

    def _ordered(self) -> builtins.list[PooledGuest]:
        return sorted(self._table().values(), key=lambda g: (g.created_at, g.id))
