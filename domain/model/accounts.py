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
import unicodedata
from collections.abc import Container

import attrs

from domain.model.dunning import Standing
from domain.model.errors import RuleViolation, ValidationError
from domain.model.scopes import FULL_ACCESS, Scope

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
    """The address in NFKC (full-width and other compatibility forms folded to their plain
    letters), its domain lower-cased. A local part whose letters mix scripts (a Cyrillic `а` among
    Latin letters) is refused: it is how a look-alike of someone else's address is made."""
    if not isinstance(value, str):
        raise ValidationError("email", "must be a string")
    raw = value.strip()
    if len(raw) > 254 or not _EMAIL.fullmatch(raw):
        raise ValidationError("email", "is not a valid e-mail address")
    email = unicodedata.normalize("NFKC", raw)
    if len(email) > 254 or not _EMAIL.fullmatch(email):  # NFKC made a space or an @ of something
        raise RuleViolation("email", "is not a valid e-mail address once normalized (NFKC)")
    local, domain = email.rsplit("@", 1)
    # Invisible, control, private and unassigned code points, as Unicode's own tables say: the
    # request schema refuses the common ones; the rest is a rule beyond it (422).
    if any(unicodedata.category(c).startswith("C") for c in local):
        raise RuleViolation("email", "must not contain invisible or control characters")
    if len(_scripts(local)) > 1:  # a rule beyond any request schema: well-formed, refused (422)
        raise RuleViolation(
            "email", "mixes letters of different alphabets; write it in one alphabet"
        )
    return f"{local}@{domain.lower()}"


# Scripts that one language writes together count as one (Japanese mixes all three).
_SAME_SCRIPT = {"HIRAGANA": "CJK", "KATAKANA": "CJK", "HALFWIDTH": "CJK"}


def _scripts(text: str) -> set[str]:
    """The scripts of the letters in `text`, by the first word of each letter's Unicode name
    (LATIN, CYRILLIC, GREEK, ...): digits and punctuation belong to every script."""
    scripts = set()
    for char in text:
        if char.isalpha():
            first = unicodedata.name(char, "UNKNOWN").split(" ", 1)[0]
            scripts.add(_SAME_SCRIPT.get(first, first))
    return scripts


def email_key(email: str) -> str:
    """What makes two addresses the same account: the normalized address, lower-cased, as the
    database's unique index compares them (`lower(email)`); every store and throttle key uses
    this, so `straße@` and `strasse@` are two accounts everywhere."""
    return email.strip().lower()


def check_password_policy(
    value: object, common: Container[str] = frozenset(), *, field: str = "password"
) -> str:
    """At least PASSWORD_MIN characters, not all one character, and not one of the `common`
    passwords (compared without case); at most PASSWORD_MAX, so hashing cost is ours to choose."""
    if not isinstance(value, str):
        raise ValidationError(field, "must be a string")
    if len(value) < PASSWORD_MIN:
        raise ValidationError(field, f"must be at least {PASSWORD_MIN} characters")
    if len(value) > PASSWORD_MAX:
        raise ValidationError(field, f"must be at most {PASSWORD_MAX} characters")
    if "\x00" in value:
        raise ValidationError(field, "must not contain NUL characters")
    # A rule against a list no request schema states: well-formed, and still refused (422).
    if len(set(value)) == 1:
        raise RuleViolation(field, "must not be one character repeated")
    if value.lower() in common:
        raise RuleViolation(field, "is one of the most common passwords; choose another")
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
