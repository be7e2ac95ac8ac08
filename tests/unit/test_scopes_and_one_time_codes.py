"""The pure rules of scopes and of the codes a person types."""

from __future__ import annotations

import pytest

from domain.model.errors import RuleViolation, ValidationError
from domain.model.scopes import (
    FULL_ACCESS,
    InsufficientScope,
    Scope,
    Scopes,
    allows,
    covers,
    require,
)
from domain.model.two_factor import OneTimeCode, recovery_digest, shown_recovery_code

S = Scope


def test_a_write_scope_includes_its_read_scope_and_nothing_else() -> None:
    held = frozenset({S.SERVERS_WRITE})
    assert allows(held, S.SERVERS_READ) and allows(held, S.SERVERS_WRITE)
    assert not allows(held, S.BILLING_READ) and not allows(held, S.ADMIN)
    assert not allows(frozenset({S.SERVERS_READ}), S.SERVERS_WRITE)
    assert all(allows(FULL_ACCESS, scope) for scope in Scope)


def test_require_names_the_missing_scope() -> None:
    with pytest.raises(InsufficientScope) as refused:
        require(frozenset({S.TICKETS}), S.BILLING_WRITE)
    assert refused.value.details == {"scope": "billing:write"}


def test_a_token_covers_only_what_it_could_do_itself() -> None:
    assert covers(FULL_ACCESS, FULL_ACCESS)
    assert covers(frozenset({S.SERVERS_WRITE}), frozenset({S.SERVERS_READ}))
    assert not covers(frozenset({S.SERVERS_WRITE}), FULL_ACCESS)
    assert not covers(frozenset({S.SERVERS_READ}), frozenset({S.SERVERS_WRITE}))


def test_scopes_are_named_from_the_known_list() -> None:
    assert Scopes.named(["servers:read", "tickets"]).held == {S.SERVERS_READ, S.TICKETS}
    assert Scopes.named(["*"]).held == FULL_ACCESS
    for bad in (["servers:delete"], [], ["*", "tickets"]):
        with pytest.raises(RuleViolation):
            Scopes.named(bad)


@pytest.mark.parametrize(
    ("typed", "is_totp"),
    [
        ("123456", True),
        (" 123456 ", True),
        ("12345a", False),
        ("١٢٣٤٥٦", False),
        ("1234567", False),
    ],
)
def test_a_totp_is_six_ascii_digits(typed: str, is_totp: bool) -> None:
    assert OneTimeCode(typed).is_totp is is_totp


def test_a_recovery_code_is_compared_without_dashes_spaces_or_case() -> None:
    shown = shown_recovery_code("abcdefgh2345")
    assert shown == "abcd-efgh-2345"
    expected = recovery_digest(7, "abcdefgh2345")
    for typed in (shown, "ABCD EFGH 2345", "abcdefgh2345"):
        assert OneTimeCode(typed).recovery_digest(7) == expected
    assert OneTimeCode(shown).recovery_digest(8) != expected  # salted by the account
    assert OneTimeCode("123456").recovery_digest(7) is None


def test_a_code_too_short_or_too_long_is_invalid() -> None:
    for typed in ("12345", "x" * 41):
        with pytest.raises(ValidationError):
            OneTimeCode(typed)
