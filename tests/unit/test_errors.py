from __future__ import annotations

import pytest

from domain.model import errors


def test_validation_error_names_the_field() -> None:
    err = errors.ValidationError("email", "is not valid", hint="x")
    assert (err.message, err.field, err.details, err.code) == (
        "email is not valid",
        "email",
        {"field": "email", "hint": "x"},
        "invalid",
    )


def test_not_found_hides_whose_it_is() -> None:
    err = errors.NotFound("server", 7)
    assert (err.message, err.details) == ("server 7 not found", {"kind": "server", "id": "7"})


def test_invalid_transition() -> None:
    err = errors.InvalidTransition("server", "stopped", "stop")
    assert err.message == "server is stopped; cannot stop"
    assert isinstance(err, errors.Conflict)


def test_unavailable_is_transient() -> None:
    assert errors.Unavailable("down").transient
    assert not errors.ExternalFailure("refused").transient


@pytest.mark.parametrize(
    ("cls", "code"),
    [
        (errors.Locked, "locked"),
        (errors.AlreadyExists, "already_exists"),
        (errors.InsufficientFunds, "insufficient_funds"),
        (errors.AccountRestricted, "account_restricted"),
        (errors.QuoteRejected, "quote_rejected"),
        (errors.CapacityExhausted, "capacity_exhausted"),
        (errors.AuthenticationFailed, "unauthenticated"),
        (errors.PermissionDenied, "forbidden"),
    ],
)
def test_codes_are_stable(cls: type[errors.DomainError], code: str) -> None:
    assert cls.code == code


def test_codes_are_unique() -> None:
    classes = [
        c
        for c in vars(errors).values()
        if isinstance(c, type) and issubclass(c, errors.DomainError)
    ]
    codes = [c.code for c in classes]
    assert len(codes) == len(set(codes))
