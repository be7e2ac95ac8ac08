"""Customer and admin accounts, and the opaque tokens that authenticate them.

Passwords are hashed through the PasswordHasher port. A token is shown once; only its SHA-256 is
kept, which is enough for a 256-bit random secret and lets a request be authenticated with one
indexed lookup.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import re

import attrs

from domain.model.dunning import Standing
from domain.model.errors import ValidationError

_EMAIL = re.compile(
    r"^[^@\s\x00-\x1f\x7f]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
PASSWORD_MIN = 10
PASSWORD_MAX = 256  # hashing cost must not be the client's to choose
TOKEN_PREFIX = "hp_"


class Role(enum.Enum):
    CUSTOMER = "customer"
    ADMIN = "admin"


def normalize_email(value: object) -> str:
    if not isinstance(value, str):
        raise ValidationError("email", "must be a string")
    email = value.strip()
    if len(email) > 254 or not _EMAIL.fullmatch(email):
        raise ValidationError("email", "is not a valid e-mail address")
    local, domain = email.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def check_password_policy(value: object) -> str:
    if not isinstance(value, str):
        raise ValidationError("password", "must be a string")
    if len(value) < PASSWORD_MIN:
        raise ValidationError("password", f"must be at least {PASSWORD_MIN} characters")
    if len(value) > PASSWORD_MAX:
        raise ValidationError("password", f"must be at most {PASSWORD_MAX} characters")
    if "\x00" in value:
        raise ValidationError("password", "must not contain NUL characters")
    return value


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

    def valid_at(self, now: dt.datetime) -> bool:
        return self.expires_at is None or now < self.expires_at


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
