"""Where customers' SSH public keys are kept."""

from __future__ import annotations

from typing import Protocol

from domain.model.ssh_keys import SshKey


class SshKeyRepository(Protocol):
    def next_id(self) -> int: ...
    def add(self, key: SshKey) -> None:
        """Raises AlreadyExists when the owner has a key with this fingerprint."""
        ...

    def get(self, key_id: int) -> SshKey | None: ...
    def for_owner(self, owner_id: int) -> list[SshKey]:
        """Oldest first."""
        ...

    def remove(self, key_id: int) -> None:
        """Raises NotFound."""
        ...
