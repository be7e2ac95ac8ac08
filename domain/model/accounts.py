"""Customer and admin accounts, and the opaque tokens that authenticate them.

Passwords are hashed through the PasswordHasher port. A token is shown once; only its SHA-256 is
kept, which is enough for a 256-bit random secret and lets a request be authenticated with one
indexed lookup.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
from collections.abc import Container

import attrs

from domain.model.credentials import NewPassword
from domain.model.dunning import Standing
from domain.model.errors import RuleViolation, ValidationError
from domain.model.scopes import FULL_ACCESS, Scope

TOKEN_PREFIX = "hp_"


class Role(enum.Enum):
    CUSTOMER = "customer"
    ADMIN = "admin"


def check_password_policy(
    value: str, common: Container[str] = frozenset(), *, field: str = "password"
) -> str:
    """A NewPassword (length, not one character repeated) that is not one of the `common`
    passwords (compared without case)."""
    try:
        secret = NewPassword(value).text
    except ValidationError as ex:
        raise ex.at(field) from None
    # A rule against a list no request schema states: well-formed, and still refused (422).
    if secret.lower() in common:
        raise RuleViolation(field, "is one of the most common passwords; choose another")
    return secret


@attrs.define
class Account:
    id: int
    email: str
    password_hash: str
    role: Role
    currency: str
    created_at: dt.datetime
    standing: Standing = Standing.ACTIVE
    standing_since: dt.datetime | None = None
    disabled: bool = False  # an admin's suspension, independent of dunning

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def may_order(self) -> bool:
        return not self.disabled and self.standing.may_order


class TokenKind(enum.Enum):
    SESSION = "session"  # from a login: cookie or bearer, expires
    PERSONAL = "personal"  # a personal access token for scripts
    RESET = "reset"  # a password-reset link: single use, 30 minutes, never authenticates


@attrs.frozen
class ApiToken:
    id: int
    account_id: int
    kind: TokenKind
    name: str
    digest: str
    created_at: dt.datetime
    expires_at: dt.datetime | None = None
    last_used_at: dt.datetime | None = None
    scopes: frozenset[Scope] = FULL_ACCESS  # what a personal token may do (domain/model/scopes.py)

    def valid_at(self, now: dt.datetime) -> bool:
        return self.expires_at is None or now < self.expires_at


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
