"""Passwords hashed with argon2id (argon2-cffi), at most a few at once per process."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import TypedDict

import argon2
from argon2.exceptions import InvalidHashError, VerificationError

from domain.model.errors import Busy
from ports.security import PasswordHasher


class _Params(TypedDict, total=False):
    time_cost: int
    memory_cost: int
    parallelism: int


class Argon2PasswordHasher:
    """argon2id with the library's RFC 9106 defaults; tests pass cheap parameters."""

    def __init__(
        self,
        *,
        time_cost: int | None = None,
        memory_cost: int | None = None,
        parallelism: int | None = None,
    ) -> None:
        # Only what is given: anything left out keeps the library's default.
        params: _Params = {}
        if time_cost is not None:
            params["time_cost"] = time_cost
        if memory_cost is not None:
            params["memory_cost"] = memory_cost
        if parallelism is not None:
            params["parallelism"] = parallelism
        self._hasher = argon2.PasswordHasher(type=argon2.Type.ID, **params)

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        if not isinstance(password_hash, str) or not isinstance(password, str):
            return False
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError, ValueError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except (InvalidHashError, ValueError):
            return True


class BoundedPasswordHasher:
    """Lets `slots` hashes or verifies run at once in this process and refuses the next at once
    (Busy: a 503 with Retry-After), rather than queueing it: a burst of logins or sign-ups cannot
    pile up threads each holding argon2's memory, nor starve every other request of the CPU."""

    def __init__(self, inner: PasswordHasher, *, slots: int) -> None:
        if slots < 1:
            raise ValueError("a hasher needs at least one slot")
        self._inner = inner
        self._slots = threading.BoundedSemaphore(slots)

    @contextlib.contextmanager
    def _slot(self) -> Iterator[None]:
        if not self._slots.acquire(blocking=False):
            raise Busy("the server is busy checking other passwords; retry in a moment")
        try:
            yield
        finally:
            self._slots.release()

    def hash(self, password: str) -> str:
        with self._slot():
            return self._inner.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        with self._slot():
            return self._inner.verify(password_hash, password)

    def needs_rehash(self, password_hash: str) -> bool:
        return self._inner.needs_rehash(password_hash)
