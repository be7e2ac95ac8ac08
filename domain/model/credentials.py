"""An account's credentials as values that check themselves: its e-mail address, with the one key
that makes two addresses the same account, and a new password's policy.

The pattern and bounds are public, for the API's JSON Schemas to state
(entrypoints/http/schemas.py).
"""

from __future__ import annotations

import re
import unicodedata
from typing import ClassVar

import attrs

from domain.model.errors import RuleViolation, ValidationError
from domain.model.values import matches, text_of

# --- e-mail --------------------------------------------------------------------------------------

EMAIL_MIN = 3
EMAIL_MAX = 254
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
# No spaces, control characters or invisible formatting (zero-width, bidirectional marks) in the
# local part: they would make one address look like another.
EMAIL_PATTERN = (
    r"^[^@\s\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e"
    rf"\u2060-\u206f\ufeff]{{1,64}}@{_LABEL}(?:\.{_LABEL})+$"
)
EMAIL_RULE = "is not a valid e-mail address"
_EMAIL = re.compile(EMAIL_PATTERN)
# Scripts that one language writes together count as one (Japanese mixes all three).
_SAME_SCRIPT = {"HIRAGANA": "CJK", "KATAKANA": "CJK", "HALFWIDTH": "CJK"}


def normalize_email(value: str) -> str:
    """The address in NFKC (full-width and other compatibility forms folded to their plain
    letters), its domain lower-cased. A local part whose letters mix scripts (a Cyrillic `а` among
    Latin letters) is refused: it is how a look-alike of someone else's address is made."""
    raw = text_of(value, EmailAddress.FIELD).strip()
    if not matches(_EMAIL, raw, EMAIL_MAX):
        raise ValidationError(EmailAddress.FIELD, EMAIL_RULE)
    email = unicodedata.normalize("NFKC", raw)
    if not matches(_EMAIL, email, EMAIL_MAX):  # NFKC made a space or an @ of something
        raise RuleViolation(EmailAddress.FIELD, f"{EMAIL_RULE} once normalized (NFKC)")
    local, domain = email.rsplit("@", 1)
    # Invisible, control, private and unassigned code points, as Unicode's own tables say: the
    # pattern refuses the common ones; the rest is a rule beyond it (422).
    if any(unicodedata.category(c).startswith("C") for c in local):
        raise RuleViolation(EmailAddress.FIELD, "must not contain invisible or control characters")
    if len(_scripts(local)) > 1:  # a rule beyond any request schema: well-formed, refused (422)
        raise RuleViolation(
            EmailAddress.FIELD, "mixes letters of different alphabets; write it in one alphabet"
        )
    return f"{local}@{domain.lower()}"


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


@attrs.frozen
class EmailAddress:
    """An account's address, normalized (normalize_email); `key` is what makes two the same."""

    FIELD: ClassVar[str] = "email"
    text: str = attrs.field(converter=normalize_email)

    @property
    def key(self) -> str:
        return email_key(self.text)


# --- passwords -----------------------------------------------------------------------------------

PASSWORD_MIN = 10
PASSWORD_MAX = 256  # hashing cost must not be the client's to choose
NEW_PASSWORD_RULE = f"must be at least {PASSWORD_MIN} and at most {PASSWORD_MAX} characters"


def _new_password(value: str) -> str:
    text = text_of(value, NewPassword.FIELD)
    if len(text) < PASSWORD_MIN:
        raise ValidationError(NewPassword.FIELD, f"must be at least {PASSWORD_MIN} characters")
    if len(text) > PASSWORD_MAX:
        raise ValidationError(NewPassword.FIELD, f"must be at most {PASSWORD_MAX} characters")
    if "\x00" in text:
        raise ValidationError(NewPassword.FIELD, "must not contain NUL characters")
    # A rule no request schema states: well-formed, and still refused (422).
    if len(set(text)) == 1:
        raise RuleViolation(NewPassword.FIELD, "must not be one character repeated")
    return text


@attrs.frozen(repr=False)
class NewPassword:
    """A password an account is to have: the policy's length, not one character repeated. The
    list of common passwords is the deployment's (Policy.common_passwords), checked by the use
    case."""

    FIELD: ClassVar[str] = "password"
    text: str = attrs.field(converter=_new_password)

    def __repr__(self) -> str:
        return "NewPassword(<hidden>)"


# A command's field from a plain value or a value object (domain/model/commands.py).


def as_email(value: str | EmailAddress) -> EmailAddress:
    return value if isinstance(value, EmailAddress) else EmailAddress(value)


def as_new_password(value: str | NewPassword) -> NewPassword:
    return value if isinstance(value, NewPassword) else NewPassword(value)
