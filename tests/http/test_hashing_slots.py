"""At most `password_hash_slots` hashes at once per process; the next is refused at once with a
503 and Retry-After, never queued (issue 10, item 6): a burst of logins or sign-ups cannot pile up
threads that each hold argon2's memory."""

from __future__ import annotations

import threading

import pytest
from api_support import PASSWORD, SETTINGS, Api, assert_error

from adapters.security import Argon2PasswordHasher, BoundedPasswordHasher
from domain.model.errors import Busy
from tests.backoffice import Backoffice


class GatedHasher:
    """A hasher whose calls wait while the gate is closed; `entered(n)` waits for n callers."""

    def __init__(self) -> None:
        self._gate = threading.Event()
        self._gate.set()
        self._inside = threading.Semaphore(0)

    def close(self) -> None:
        self._gate.clear()

    def open(self) -> None:
        self._gate.set()

    def entered(self, callers: int) -> bool:
        return all(self._inside.acquire(timeout=5) for _ in range(callers))

    def hash(self, password: str) -> str:
        if not self._gate.is_set():
            self._inside.release()
            self._gate.wait(10)
        return f"hashed:{password}"

    def verify(self, password_hash: str, password: str) -> bool:
        return self.hash(password) == password_hash

    def needs_rehash(self, password_hash: str) -> bool:
        return False


def test_past_its_slots_a_hash_is_refused_at_once_and_a_freed_slot_serves_again():
    inner = GatedHasher()
    hasher = BoundedPasswordHasher(inner, slots=2)
    inner.close()
    busy = [threading.Thread(target=hasher.hash, args=("p",)) for _ in range(2)]
    for thread in busy:
        thread.start()
    assert inner.entered(2)

    with pytest.raises(Busy) as refused:
        hasher.verify("hashed:p", "p")

    assert refused.value.details["retryAfter"] == 1
    inner.open()
    for thread in busy:
        thread.join(10)
    assert hasher.verify("hashed:p", "p")


def test_a_failing_verify_gives_its_slot_back():
    argon2 = Argon2PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    hasher = BoundedPasswordHasher(argon2, slots=1)

    assert hasher.verify("not a hash", "x") is False
    assert hasher.verify(hasher.hash("secret password"), "secret password")


def _login(api: Api, address: str) -> int:
    body = {"email": "ann@example.com", "password": PASSWORD}
    return api.request("POST", "/api/auth/login", json=body, remote_addr=address).status_code


def test_a_login_past_the_process_s_hashing_slots_is_503_at_once() -> None:
    inner = GatedHasher()
    api = Api(Backoffice(SETTINGS, hasher=BoundedPasswordHasher(inner, slots=2)))
    api.register("ann@example.com")
    inner.close()
    holders = [threading.Thread(target=_login, args=(api, f"192.0.2.{n}")) for n in (1, 2)]
    for thread in holders:
        thread.start()
    assert inner.entered(2)

    result = api.request(
        "POST",
        "/api/auth/login",
        json={"email": "ann@example.com", "password": PASSWORD},
        remote_addr="203.0.113.9",
    )

    assert_error(result, 503, "busy")
    assert result.headers["Retry-After"] == "1"
    inner.open()
    for thread in holders:
        thread.join(10)
    assert _login(api, "203.0.113.9") == 200
