"""Secrets: password hashing and random generation."""

from __future__ import annotations

from typing import Protocol


class PasswordHasher(Protocol):
    """One-way password hashing (argon2id in the real adapter).

    Promises: `verify` is True only for the password that was hashed and never raises for a wrong
    password or a malformed hash; `needs_rehash` says when stored parameters are older than current.
    """

    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool: ...

    def needs_rehash(self, password_hash: str) -> bool: ...


class SecretGenerator(Protocol):
    """Cryptographically strong randomness."""

    def token(self) -> str:
        """A URL-safe secret of at least 256 bits of entropy."""
        ...

    def password(self) -> str:
        """A root password: 20 characters from letters, digits and a few symbols safe in shells."""
        ...


class SecretBox(Protocol):
    """Authenticated encryption for short secrets that must rest somewhere on their way (a root
    password inside a queued job's arguments), so that the database never holds them in clear.

    Promises: `open(seal(s)) == s`; `open` returns None for a box it cannot open (sealed with
    another key, tampered with, or not a box at all) and never raises for one."""

    def seal(self, secret: str) -> str: ...

    def open(self, sealed: str) -> str | None: ...
