"""The hashing a login does besides checking the password: a fresh hash when the stored one has
old parameters, and the dummy hash an unknown address is checked against, so that it costs what a
known one does (the timing must not tell which addresses have accounts)."""

from __future__ import annotations

import threading
import weakref

from domain.model.accounts import TOKEN_PREFIX
from domain.model.errors import Busy
from ports.security import PasswordHasher


def rehashed(hasher: PasswordHasher, password_hash: str, password: str) -> str | None:
    """A fresh hash when the stored one has old parameters; skipped when the process is busy
    hashing (the next login will do it), rather than failing a login that succeeded."""
    if not hasher.needs_rehash(password_hash):
        return None
    try:
        return hasher.hash(password)
    except Busy:
        return None


_dummies: weakref.WeakKeyDictionary[PasswordHasher, str] = weakref.WeakKeyDictionary()
_dummies_lock = threading.Lock()


def dummy_hash(hasher: PasswordHasher) -> str:
    """A hash of a password nobody has, made once per hasher with its own parameters, so that
    verifying against it costs what verifying a real one does."""
    with _dummies_lock:
        found = _dummies.get(hasher)
    if found is None:
        found = hasher.hash(TOKEN_PREFIX + "dummy-password-that-no-account-has")
        with _dummies_lock:
            _dummies.setdefault(hasher, found)
    return found
