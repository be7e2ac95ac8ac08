"""Commands: what a caller asks a use case to do, made of values that checked themselves.

A command is whole once it exists: a use case that takes one checks what only it can check (the
catalogue's ranges, what is stored, who is asking), never a field's type or shape again. The HTTP
edge builds commands from request bodies (entrypoints/http/commands.py); tests and the CLI build
them directly, from plain values or from value objects (each field's converter takes either). The
server action commands are in domain/model/server.py's table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TypeVar

import attrs
from attrs.converters import optional

from domain.model.accounts import Role
from domain.model.credentials import EmailAddress, NewPassword, as_email, as_new_password
from domain.model.errors import ValidationError
from domain.model.firewall import RuleRequest
from domain.model.promo import DiscountDuration, PromoKind
from domain.model.values import (
    Amount,
    Cores,
    DiskGiB,
    Hostname,
    MemoryMiB,
    PromoCodeText,
    Reason,
    TokenName,
    as_amount,
    as_cores,
    as_disk,
    as_memory,
    as_promo_code,
    as_reason,
    as_token_name,
)

V = TypeVar("V")


def _no_promo_code(value: str | PromoCodeText | None) -> PromoCodeText | None:
    """An order's code: empty or null is no code."""
    if value is None or value == "":
        return None
    return as_promo_code(value)


def _no_hostname(value: str | Hostname | None) -> Hostname | None:
    """An order's name: empty or null leaves the server its default name."""
    if value is None or value == "":
        return None
    return value if isinstance(value, Hostname) else Hostname(value)


def _within(field: str, value: int | None, low: int, high: int, what: str) -> None:
    if value is not None and not low <= value <= high:
        raise ValidationError(field, f"must be {what} within {low}..{high}")


def _renamed(field: str, make: Callable[[], V]) -> V:
    """A value made under another field's name than its own (a new password is `newPassword`
    next to the current one)."""
    try:
        return make()
    except ValidationError as ex:
        raise ex.at(field) from None


# --- ordering ------------------------------------------------------------------------------------


@attrs.frozen
class OrderRequest:
    """What a customer sends to price or order a server: a tariff, or cores/memory/disk (with a
    location). Which of the two, and the sizes against the catalogue, resolve_order checks."""

    os_id: int
    location_id: int | None = None
    tariff_id: int | None = None
    cores: Cores | None = attrs.field(default=None, converter=optional(as_cores))
    memory: MemoryMiB | None = attrs.field(default=None, converter=optional(as_memory))
    disk: DiskGiB | None = attrs.field(default=None, converter=optional(as_disk))
    promo_code: PromoCodeText | None = attrs.field(default=None, converter=_no_promo_code)
    quote_id: str | None = None
    name: Hostname | None = attrs.field(default=None, converter=_no_hostname)

    @property
    def sized(self) -> bool:
        return any(v is not None for v in (self.cores, self.memory, self.disk))


# --- accounts and passwords ----------------------------------------------------------------------


@attrs.frozen
class NewAccount:
    email: EmailAddress = attrs.field(converter=as_email)
    password: NewPassword = attrs.field(converter=as_new_password)
    role: Role = Role.CUSTOMER


@attrs.frozen(repr=False)
class Credentials:
    """An e-mail and password to log in with, as typed: a wrong one of either is only a failed
    login, told apart from no other."""

    email: str
    password: str

    def __repr__(self) -> str:
        return f"Credentials({self.email!r}, <hidden>)"


@attrs.frozen
class NewToken:
    name: TokenName = attrs.field(converter=as_token_name)
    expires_in_days: int | None = None

    def __attrs_post_init__(self) -> None:
        _within("expiresInDays", self.expires_in_days, 1, 3650, "a whole number of days")


def _new_password_field(value: str | NewPassword) -> NewPassword:
    return _renamed("newPassword", lambda: as_new_password(value))


@attrs.frozen(repr=False)
class PasswordChange:
    current_password: str
    new_password: NewPassword = attrs.field(converter=_new_password_field)

    def __repr__(self) -> str:
        return "PasswordChange(<hidden>)"


@attrs.frozen
class ResetRequest:
    email: EmailAddress = attrs.field(converter=as_email)


@attrs.frozen(repr=False)
class ResetConfirmation:
    """A reset link's token and the password to set. The link is checked before the password,
    so that a made-up link learns nothing about the policy (the password is checked then)."""

    token: str
    password: str

    def __repr__(self) -> str:
        return "ResetConfirmation(<hidden>)"


# --- money ---------------------------------------------------------------------------------------


@attrs.frozen
class BalanceAdjustment:
    """An admin's credit (or debit) of a customer's balance; `request_key` makes a retried
    request post once (the HTTP edge passes the Idempotency-Key)."""

    customer_id: int
    amount: Amount = attrs.field(converter=as_amount)
    reason: Reason = attrs.field(converter=as_reason)
    request_key: str
    debit: bool = False


@attrs.frozen
class Refund:
    """Give back what a charge took: all of it, or `amount` of it."""

    transaction_key: str
    reason: Reason = attrs.field(converter=as_reason)
    amount: Amount | None = attrs.field(default=None, converter=optional(as_amount))


@attrs.frozen
class Reversal:
    transaction_key: str
    reason: Reason = attrs.field(converter=as_reason)


# --- promo codes ---------------------------------------------------------------------------------


def _code_field(value: str | PromoCodeText) -> PromoCodeText:
    return _renamed("code", lambda: as_promo_code(value))


def _kind(value: str | PromoKind) -> PromoKind:
    return _member(PromoKind, value, "kind")


def _duration(value: str | DiscountDuration) -> DiscountDuration:
    return _member(DiscountDuration, value, "duration")


E = TypeVar("E", PromoKind, DiscountDuration)


def _member(kind: type[E], value: str | E, field: str) -> E:
    try:
        return kind(value)
    except ValueError:
        raise ValidationError(field, f"must be one of {', '.join(m.value for m in kind)}") from None


_MOMENT = "must be a moment with a time zone, such as 2026-03-01T00:00:00Z"


@attrs.frozen
class PromoDraft:
    """An admin's description of a code; the rules between its fields are PromoCode's."""

    code: PromoCodeText = attrs.field(converter=_code_field)
    kind: PromoKind = attrs.field(converter=_kind)
    percent: int = 0
    amount: Amount | None = attrs.field(default=None, converter=optional(as_amount))
    duration: DiscountDuration = attrs.field(
        default=DiscountDuration.FIRST_CHARGE, converter=_duration
    )
    duration_days: int = 0
    valid_from: dt.datetime | None = None
    valid_until: dt.datetime | None = None
    max_uses: int | None = None  # None: unlimited
    max_uses_per_customer: int = 1
    tariff_ids: tuple[int, ...] = ()
    location_ids: tuple[int, ...] = ()
    active: bool = True

    def __attrs_post_init__(self) -> None:
        for field, count in (
            ("percent", self.percent),
            ("durationDays", self.duration_days),
            ("maxUses", self.max_uses),
            ("maxUsesPerCustomer", self.max_uses_per_customer),
        ):
            _within(field, count, 0, 10**9, "a whole number")
        # A naive time would fail only later, when a customer's order compares it with now.
        for field, moment in (("validFrom", self.valid_from), ("validUntil", self.valid_until)):
            if moment is not None and moment.utcoffset() is None:
                raise ValidationError(field, _MOMENT)


# --- a server's firewall and metrics -------------------------------------------------------------


@attrs.frozen
class ReplaceFirewall:
    """Every inbound rule the server is to have, in order; none closes every port."""

    server_id: int
    rules: tuple[RuleRequest, ...] = attrs.field(converter=tuple)


@attrs.frozen
class MetricsQuery:
    """Points `step` seconds apart over [start, end); by default the last hour up to now."""

    server_id: int
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    step: int | None = None

    def __attrs_post_init__(self) -> None:
        if self.step is not None and self.step < 1:
            raise ValidationError("step", "must be a whole number of seconds, at least 1")
