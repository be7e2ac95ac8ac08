"""An unknown address's login costs one verify from the very first one: the dummy hash it is
verified against is made when the app is, not by the first such login (which then cost a hash
more than any other login, telling that the address has no account)."""

from __future__ import annotations

from api_support import SETTINGS, Api

from adapters.security import Argon2PasswordHasher
from tests.backoffice import Backoffice


class CountingHasher(Argon2PasswordHasher):
    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8192, parallelism=1)
        self.hashed = self.verified = 0

    def hash(self, password: str) -> str:
        self.hashed += 1
        return super().hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        self.verified += 1
        return super().verify(password_hash, password)


def test_the_first_login_of_an_unknown_address_costs_one_verify_and_no_hash() -> None:
    hasher = CountingHasher()
    api = Api(Backoffice(SETTINGS, hasher=hasher))
    hashed, verified = hasher.hashed, hasher.verified

    answer = api.post(
        "/api/auth/login", json={"email": "nobody@example.com", "password": "a wrong passphrase"}
    )

    assert answer.status_code == 401
    assert (hasher.hashed - hashed, hasher.verified - verified) == (0, 1)
