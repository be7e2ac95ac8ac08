"""Customers' SSH keys in memory."""

from __future__ import annotations

from adapters.memory.tables import Tables
from domain.model.errors import AlreadyExists, NotFound
from domain.model.ssh_keys import SshKey


class InMemorySshKeyRepository:
    def __init__(self, uow: Tables) -> None:
        self._uow = uow

    def next_id(self) -> int:
        return self._uow.next_id("ssh_keys")

    def add(self, key: SshKey) -> None:
        table = self._table()
        if key.id in table or any(
            k.owner_id == key.owner_id and k.fingerprint == key.fingerprint for k in table.values()
        ):
            raise AlreadyExists(f"this key ({key.fingerprint}) is added already")
        self._uow.write("ssh_keys")[key.id] = key
        self._uow.saw_id("ssh_keys", key.id)

    def get(self, key_id: int) -> SshKey | None:
        return self._table().get(key_id)

    def for_owner(self, owner_id: int) -> list[SshKey]:
        table = self._table()
        return [table[i] for i in sorted(table) if table[i].owner_id == owner_id]

    def remove(self, key_id: int) -> None:
        if key_id not in self._table():
            raise NotFound("ssh key", key_id)
        del self._uow.write("ssh_keys")[key_id]

    def _table(self) -> dict[int, SshKey]:
        table: dict[int, SshKey] = self._uow.read("ssh_keys")
        return table
