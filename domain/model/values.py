"""The values a request carries, each checking itself once, when it is made.

A use case that takes a `Hostname` knows it is one: nobody checks it again. The patterns and bounds
are public, so that the API's JSON Schemas (entrypoints/http/schemas.py) state exactly the rule
that is checked here; each pattern is written once, in this module. The patterns are both Python
and ECMA-262 (JSON Schema) regular expressions: `\\s`, which the two read differently, is spelled
out where it matters (WHITE_SPACE).

Each value names the field it is refused as (`FIELD`); the HTTP edge names the field as the client
sent it. An account's address and password are in domain/model/credentials.py.
"""

from __future__ import annotations

import re
from typing import ClassVar

import attrs

from domain.model.errors import ValidationError
from domain.model.money import (
    MAX_UNITS,
    MONEY_TEXT_MAX,
    MONEY_TEXT_PATTERN,
    MONEY_TEXT_RULE,
    Money,
)

# --- ids -----------------------------------------------------------------------------------------

# Every id the API takes: PostgreSQL's integer.
ID_MIN = 1
ID_MAX = 2_147_483_647

# --- text ----------------------------------------------------------------------------------------

# The white space Python's str.strip() takes off, spelled out: `\s` means other characters to the
# JSON Schema (ECMA-262) patterns generators read than to Python's re.
WHITE_SPACE = r"\t\n\x0b\x0c\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# Every free text a client sends. NUL is refused, once: PostgreSQL's text cannot hold it, and a
# field that takes it in the sandbox must refuse it in production too.
NO_NUL_PATTERN = r"^[^\x00]*$"


def trimmed_pattern(min_length: int) -> str:
    """Text taken with the white space around it stripped, `min_length` (1 or 3) characters from
    the first visible one to the last, and no NUL."""
    ws = WHITE_SPACE
    if min_length == 1:
        return rf"^[{ws}]*[^{ws}\x00](?:[^\x00]*[^{ws}\x00])?[{ws}]*$"
    if min_length == 3:
        return rf"^[{ws}]*[^{ws}\x00][^\x00]+[^{ws}\x00][{ws}]*$"
    raise ValueError("trimmed text is 1 or 3 characters at least")


def text_of(value: str, field: str) -> str:
    # The type says str; a caller that reads JSON or TOML may still hand over anything else.
    if not isinstance(value, str):
        raise ValidationError(field, "must be a string")
    return value


def matches(pattern: re.Pattern[str], value: str, max_length: int) -> bool:
    return len(value) <= max_length and pattern.fullmatch(value) is not None


class _Trimmed:
    """Free text kept without the white space around it: MIN characters at least from the first
    visible one to the last, MAX in all as sent (what the schema states)."""

    FIELD: ClassVar[str]
    MIN: ClassVar[int]
    MAX: ClassVar[int]
    _PATTERN: ClassVar[re.Pattern[str]]

    @classmethod
    def _strip(cls, value: str) -> str:
        text = text_of(value, cls.FIELD)
        if not matches(cls._PATTERN, text, cls.MAX):
            raise ValidationError(cls.FIELD, f"must be {cls.MIN}-{cls.MAX} characters")
        return text.strip()


def _reason(value: str) -> str:
    return Reason._strip(value)


def _token_name(value: str) -> str:
    return TokenName._strip(value)


REASON_MIN = 3
REASON_MAX = 500


@attrs.frozen
class Reason(_Trimmed):
    """Why an admin moves money: the ledger's memo and the audit log's."""

    FIELD: ClassVar[str] = "reason"
    MIN: ClassVar[int] = REASON_MIN
    MAX: ClassVar[int] = REASON_MAX
    _PATTERN: ClassVar[re.Pattern[str]] = re.compile(trimmed_pattern(REASON_MIN))

    text: str = attrs.field(converter=_reason)


TOKEN_NAME_MIN = 1
TOKEN_NAME_MAX = 100


@attrs.frozen
class TokenName(_Trimmed):
    """The name a customer gives a personal access token."""

    FIELD: ClassVar[str] = "name"
    MIN: ClassVar[int] = TOKEN_NAME_MIN
    MAX: ClassVar[int] = TOKEN_NAME_MAX
    _PATTERN: ClassVar[re.Pattern[str]] = re.compile(trimmed_pattern(TOKEN_NAME_MIN))

    text: str = attrs.field(converter=_token_name)


# --- names ---------------------------------------------------------------------------------------

HOSTNAME_MAX = 63
HOSTNAME_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"
HOSTNAME_RULE = "must be a hostname: lower-case letters, digits and '-', at most 63"
_HOSTNAME = re.compile(HOSTNAME_PATTERN)


def _hostname(_: Hostname, __: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not matches(_HOSTNAME, value, HOSTNAME_MAX):
        raise ValidationError(Hostname.FIELD, HOSTNAME_RULE)


@attrs.frozen
class Hostname:
    """A server's name, which is also its guest's hostname (RFC 1123 label, lower case)."""

    FIELD: ClassVar[str] = "name"
    text: str = attrs.field(validator=_hostname)


SNAPSHOT_NAME_MIN = 2
SNAPSHOT_NAME_MAX = 40
SNAPSHOT_NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_-]{1,39}$"
SNAPSHOT_NAME_RULE = "must start with a letter, then letters, digits, '-' or '_', 2-40 characters"
_SNAPSHOT_NAME = re.compile(SNAPSHOT_NAME_PATTERN)


def _snapshot_name(_: SnapshotName, __: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not matches(_SNAPSHOT_NAME, value, SNAPSHOT_NAME_MAX):
        raise ValidationError(SnapshotName.FIELD, SNAPSHOT_NAME_RULE)


@attrs.frozen
class SnapshotName:
    """A snapshot's name as the hypervisor keeps it."""

    FIELD: ClassVar[str] = "snapname"
    text: str = attrs.field(validator=_snapshot_name)


PROMO_CODE_MIN = 3
PROMO_CODE_MAX = 60  # as sent, white space around it included; 40 once trimmed
# Compared trimmed and upper-cased: what a customer types is found however they spelled it.
PROMO_CODE_PATTERN = rf"^[{WHITE_SPACE}]*[A-Za-z0-9][A-Za-z0-9_-]{{2,39}}[{WHITE_SPACE}]*$"
PROMO_CODE_RULE = "must be 3-40 letters, digits, '-' or '_'"
_PROMO_CODE = re.compile(PROMO_CODE_PATTERN)


def _promo_code(value: str) -> str:
    if not isinstance(value, str):
        raise ValidationError(PromoCodeText.FIELD, "must be a string")
    if not matches(_PROMO_CODE, value, PROMO_CODE_MAX):
        raise ValidationError(PromoCodeText.FIELD, PROMO_CODE_RULE)
    return value.strip().upper()


@attrs.frozen
class PromoCodeText:
    """A promo code as it is looked up: trimmed, upper-case."""

    FIELD: ClassVar[str] = "promoCode"
    text: str = attrs.field(converter=_promo_code)


# --- resources -----------------------------------------------------------------------------------

CORES_MIN, CORES_MAX = 1, 1024
MEMORY_MIB_MIN, MEMORY_MIB_MAX = 1, 16_777_216
DISK_GIB_MIN, DISK_GIB_MAX = 1, 1_048_576


def _whole(field: str, low: int, high: int, value: int) -> None:
    # bool is an int to Python, and True must not order one core.
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValidationError(field, "must be an integer")
    if not low <= value <= high:
        raise ValidationError(field, f"must be between {low} and {high}")


def _cores(_: Cores, __: attrs.Attribute[int], value: int) -> None:
    _whole(Cores.FIELD, CORES_MIN, CORES_MAX, value)


def _memory(_: MemoryMiB, __: attrs.Attribute[int], value: int) -> None:
    _whole(MemoryMiB.FIELD, MEMORY_MIB_MIN, MEMORY_MIB_MAX, value)


def _disk(_: DiskGiB, __: attrs.Attribute[int], value: int) -> None:
    _whole(DiskGiB.FIELD, DISK_GIB_MIN, DISK_GIB_MAX, value)


@attrs.frozen
class Cores:
    FIELD: ClassVar[str] = "cores"
    value: int = attrs.field(validator=_cores)


@attrs.frozen
class MemoryMiB:
    FIELD: ClassVar[str] = "memory"
    value: int = attrs.field(validator=_memory)


@attrs.frozen
class DiskGiB:
    FIELD: ClassVar[str] = "disk"
    value: int = attrs.field(validator=_disk)


# --- money ---------------------------------------------------------------------------------------

# An amount a client sends: positive, at most MAX_UNITS whole units (a power of ten), six places,
# so that every amount and sums of many of them fit the micro-unit bigint the ledger keeps.
_UNIT_DIGITS = len(str(MAX_UNITS)) - 1
assert MAX_UNITS == 10**_UNIT_DIGITS, "AMOUNT_PATTERN needs MAX_UNITS to be a power of ten"
AMOUNT_PATTERN = (
    rf"^(?:[1-9][0-9]{{0,{_UNIT_DIGITS - 1}}}(?:\.[0-9]{{1,6}})?"
    rf"|{MAX_UNITS}(?:\.0{{1,6}})?"
    r"|0\.(?:[1-9][0-9]{0,5}|0[1-9][0-9]{0,4}|00[1-9][0-9]{0,3}|000[1-9][0-9]{0,2}"
    r"|0000[1-9][0-9]?|00000[1-9]))$"
)
AMOUNT_MAX_LENGTH = 20
AMOUNT_RULE = f"must be positive, at most {MAX_UNITS:,} with six places"
_AMOUNT = re.compile(AMOUNT_PATTERN)
_MONEY_TEXT = re.compile(MONEY_TEXT_PATTERN)


def _amount(_: Amount, __: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not matches(_MONEY_TEXT, value, MONEY_TEXT_MAX):
        raise ValidationError(Amount.FIELD, MONEY_TEXT_RULE)
    if not matches(_AMOUNT, value, AMOUNT_MAX_LENGTH):
        raise ValidationError(Amount.FIELD, AMOUNT_RULE)


@attrs.frozen
class Amount:
    """A positive amount of money a client sends, in the deployment's currency (which the use
    case, knowing the account, adds)."""

    FIELD: ClassVar[str] = "amount"
    text: str = attrs.field(validator=_amount)

    def money(self, currency: str) -> Money:
        return Money.parse(self.text, currency, field=self.FIELD)


# --- a command's field from a plain value or a value object (domain/model/commands.py) ----------


def as_cores(value: int | Cores) -> Cores:
    return value if isinstance(value, Cores) else Cores(value)


def as_memory(value: int | MemoryMiB) -> MemoryMiB:
    return value if isinstance(value, MemoryMiB) else MemoryMiB(value)


def as_disk(value: int | DiskGiB) -> DiskGiB:
    return value if isinstance(value, DiskGiB) else DiskGiB(value)


def as_reason(value: str | Reason) -> Reason:
    return value if isinstance(value, Reason) else Reason(value)


def as_amount(value: str | Amount) -> Amount:
    return value if isinstance(value, Amount) else Amount(value)


def as_token_name(value: str | TokenName) -> TokenName:
    return value if isinstance(value, TokenName) else TokenName(value)


def as_promo_code(value: str | PromoCodeText) -> PromoCodeText:
    return value if isinstance(value, PromoCodeText) else PromoCodeText(value)
