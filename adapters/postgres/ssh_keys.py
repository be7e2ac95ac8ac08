"""Customers' SSH keys on PostgreSQL."""

from __future__ import annotations

from adapters.postgres.rows import structure, unstructure
from adapters.postgres.session import Db, insert_new, next_id
from domain.model.errors import AlreadyExists, NotFound
from domain.model.ssh_keys import SshKey


class PostgresSshKeyRepository:
    def __init__(self, db: Db) -> None:
        self._db = db

    def next_id(self) -> int:
        return next_id(self._db, "ssh_keys")

    def add(self, key: SshKey) -> None:
        # The unique (owner, fingerprint) index decides between two adds of one key at once.
        if not insert_new(self._db, "ssh_keys", unstructure(key)):
            raise AlreadyExists(f"this key ({key.fingerprint}) is added already")

    def get(self, key_id: int) -> SshKey | None:
        row = self._db.row("SELECT * FROM ssh_keys WHERE id = %s", (key_id,))
        return None if row is None else structure(row, SshKey)

    def for_owner(self, owner_id: int) -> list[SshKey]:
        rows = self._db.rows("SELECT * FROM ssh_keys WHERE owner_id = %s ORDER BY id", (owner_id,))
        return [structure(r, SshKey) for r in rows]

    def remove(self, key_id: int) -> None:
        if self._db.run("DELETE FROM ssh_keys WHERE id = %s", (key_id,)) != 1:
            raise NotFound("ssh key", key_id)
