from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import pytest

from domain.model.accounts import (
    Account,
    ApiToken,
    Role,
    TokenKind,
    check_password_policy,
    token_digest,
)
from domain.model.credentials import PASSWORD_MAX, PASSWORD_MIN, normalize_email
from domain.model.dunning import Standing
from domain.model.errors import ValidationError

from .factories import at

T0 = at(2025, 3, 10, 12)


class TestEmail:
    @pytest.mark.parametrize(
        ("given", "stored"),
        [
            (
                "  Alice@Example.COM ",
                "Alice@example.com",
            ),  # the domain is case-insensitive, the local part is kept
            ("bob+billing@mail.example.co.uk", "bob+billing@mail.example.co.uk"),
            ("x@a-b.io", "x@a-b.io"),
            ("\uff41lice@example.com", "alice@example.com"),  # full-width: NFKC folds it
            ("алиса.2@example.com", "алиса.2@example.com"),  # one alphabet, digits: welcome
            ("ｱﾘｽ@example.jp", "アリス@example.jp"),  # half-width katakana, folded
        ],
    )
    def test_normalized(self, given: str, stored: str) -> None:
        assert normalize_email(given) == stored

    @pytest.mark.parametrize(
        "bad",
        [
            "no-at-sign",
            "a@localhost",
            "a b@example.com",
            "a@-example.com",
            "a@example-.com",
            "\u0430lice@example.com",  # a Cyrillic a among Latin letters: a look-alike
            "p\u0430ypal@example.com",
            "ab\u200bcd@example.com",  # invisible
            "a@example..com",
            "@example.com",
            "a@@example.com",
            "a\x00b@example.com",
            "a@exa_mple.com",
            "a" * 65 + "@example.com",
            "a@" + "b" * 250 + ".com",
            "",
            None,
            42,
        ],
    )
    def test_rejected(self, bad: object) -> None:
        with pytest.raises(ValidationError) as err:
            normalize_email(bad)
        assert err.value.field == "email"


class TestPasswordPolicy:
    @pytest.mark.parametrize("length", [PASSWORD_MIN, PASSWORD_MAX])
    def test_length_bounds_are_inclusive(self, length: int) -> None:
        password = "pq" * (length // 2)
        assert check_password_policy(password) is password

    def test_common_passwords_are_refused_whatever_their_case(self) -> None:
        with pytest.raises(ValidationError) as err:
            check_password_policy("QwertyUIOP", frozenset({"qwertyuiop"}))
        assert err.value.field == "password" and "most common" in err.value.message
        assert check_password_policy("qwertyuiop!", frozenset({"qwertyuiop"})) == "qwertyuiop!"

    def test_the_field_is_named_as_the_caller_says(self) -> None:
        with pytest.raises(ValidationError) as err:
            check_password_policy("short", field="newPassword")
        assert err.value.field == "newPassword"

    @pytest.mark.parametrize(
        ("bad", "problem"),
        [
            ("p" * 9, "at least 10"),
            ("p" * 257, "at most 256"),
            ("password\x00xx", "NUL"),
            ("z" * 12, "one character"),
            (None, "string"),
            (b"bytes-password", "string"),
        ],
    )
    def test_rejected(self, bad: object, problem: str) -> None:
        with pytest.raises(ValidationError) as err:
            check_password_policy(bad)
        assert err.value.field == "password" and problem in err.value.message

    def test_length_is_in_characters(self) -> None:
        assert check_password_policy("пароль-12я") == "пароль-12я"  # 10 characters, 18 bytes


class TestTokens:
    def test_digest_is_sha256_hex(self) -> None:
        # the FIPS 180-2 test vector for "abc"
        assert (
            token_digest("abc")
            == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        )
        assert token_digest("hp_abc") != token_digest("hp_abd")

    def test_validity(self) -> None:
        session = ApiToken(
            1, 42, TokenKind.SESSION, "login", "d", T0, expires_at=T0 + dt.timedelta(hours=12)
        )
        assert session.valid_at(T0 + dt.timedelta(hours=12) - dt.timedelta(microseconds=1))
        assert not session.valid_at(T0 + dt.timedelta(hours=12))
        forever = ApiToken(2, 42, TokenKind.PERSONAL, "ci", "d", T0)
        assert forever.valid_at(at(2999, 1, 1))


class TestAccount:
    def account(self, **fields: Any) -> Account:
        base = Account(42, "a@example.com", "h", Role.CUSTOMER, "RUB", T0)
        return attrs.evolve(base, **fields)

    def test_may_order(self) -> None:
        assert self.account().may_order
        assert self.account(standing=Standing.LOW_BALANCE).may_order
        assert not self.account(standing=Standing.RESTRICTED).may_order
        assert not self.account(disabled=True).may_order

    def test_roles(self) -> None:
        assert self.account(role=Role.ADMIN).is_admin and not self.account().is_admin
