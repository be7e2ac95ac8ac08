"""Exact money: integer micro-units with a currency.

One unit (a rouble, a euro) is 1,000,000 micro-units. Every amount in the domain, the database and
the arithmetic is an int of micro-units; a float never touches money. Rounding happens in exactly
one place, `Money.scale`, and always says which way it goes.
"""

from __future__ import annotations

import enum
import re

import attrs

from domain.model.errors import ValidationError

MICRO = 1_000_000
# A trillion units is far more than any balance, and its micro-units (10**18) fit the signed 64-bit
# integer (at most 9,223,372,036,854.775807 units) PostgreSQL keeps money in, with room for sums:
# an amount past it is refused here, on every store, rather than by the database in production.
MAX_UNITS = 10**12
# Money as the API shows it and takes it: a decimal string of micro-unit precision (every Money fits
# 13 digits). ASCII digits only: `\d` would also take other scripts' digits, which int() accepts.
MONEY_TEXT_PATTERN = r"^(-?)([0-9]{1,13})(?:\.([0-9]{1,6}))?$"
MONEY_TEXT_MAX = 21
MONEY_TEXT_RULE = 'must be a decimal string such as "100.00"'
_DECIMAL = re.compile(MONEY_TEXT_PATTERN)
CURRENCY_PATTERN = r"^[A-Z]{3}$"  # an ISO 4217 code
_CURRENCY = re.compile(CURRENCY_PATTERN)


class Rounding(enum.Enum):
    DOWN = "down"  # towards zero: what we take from a customer is never rounded up silently
    HALF_UP = "half_up"
    UP = "up"


def divide(numerator: int, denominator: int, rounding: Rounding) -> int:
    """Integer division with explicit rounding of the magnitude (a negative result mirrors a
    positive one)."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    negative = numerator < 0
    quotient, remainder = divmod(abs(numerator), denominator)
    if remainder and (
        rounding is Rounding.UP or (rounding is Rounding.HALF_UP and 2 * remainder >= denominator)
    ):
        quotient += 1
    return -quotient if negative else quotient


def _check_currency(_: Money, __: attrs.Attribute[str], value: str) -> None:
    if not (isinstance(value, str) and _CURRENCY.fullmatch(value)):
        raise ValidationError("currency", "must be a three-letter ISO 4217 code")


def _check_micro(_: Money, __: attrs.Attribute[int], value: int) -> None:
    if type(value) is not int:  # bool is an int subclass and floats must never sneak in
        raise TypeError("Money holds an int of micro-units")
    if abs(value) > MAX_UNITS * MICRO:
        raise ValidationError("amount", "is out of range")


@attrs.frozen(order=False)
class Money:
    micro: int = attrs.field(validator=_check_micro)
    currency: str = attrs.field(validator=_check_currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    @classmethod
    def of(cls, units: int, currency: str) -> Money:
        return cls(units * MICRO, currency)

    @classmethod
    def parse(cls, text: str, currency: str, *, field: str = "amount") -> Money:
        """Parse a decimal string such as "300.00" (at most six places).

        Anything else (a float, an exponent, a non-string) is a ValidationError against `field`."""
        match = _DECIMAL.fullmatch(text.strip()) if isinstance(text, str) else None
        if not match:
            raise ValidationError(field, MONEY_TEXT_RULE)
        sign, whole, fraction = match.groups()
        micro = int(whole) * MICRO + int((fraction or "").ljust(6, "0"))
        # The same bound Money checks, but reported against the caller's field, fraction included.
        if micro > MAX_UNITS * MICRO:
            raise ValidationError(field, "is out of range")
        return cls(-micro if sign else micro, currency)

    def format(self, places: int = 2, rounding: Rounding = Rounding.DOWN) -> str:
        """Decimal string with `places` digits, rounded towards zero unless told otherwise (what
        customers read is rounded half up, beside the exact value)."""
        if not 0 <= places <= 6:
            raise ValueError("places must be within 0..6")
        step = 10 ** (6 - places)
        truncated = divide(self.micro, step, rounding)
        sign = "-" if truncated < 0 else ""
        whole, fraction = divmod(abs(truncated), 10**places)
        return f"{sign}{whole}.{fraction:0{places}d}" if places else f"{sign}{whole}"

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError("Money combines only with Money")
        if other.currency != self.currency:
            raise ValueError(f"currency mismatch: {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.micro + other.micro, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.micro - other.micro, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.micro, self.currency)

    def __mul__(self, factor: int) -> Money:
        if type(factor) is not int:
            raise TypeError("Money multiplies only by an int; use scale() for ratios")
        return Money(self.micro * factor, self.currency)

    __rmul__ = __mul__

    def scale(self, numerator: int, denominator: int, rounding: Rounding) -> Money:
        """self * numerator / denominator, rounded as asked."""
        return Money(divide(self.micro * numerator, denominator, rounding), self.currency)

    def min(self, other: Money) -> Money:
        self._same(other)
        return self if self.micro <= other.micro else other

    def max(self, other: Money) -> Money:
        self._same(other)
        return self if self.micro >= other.micro else other

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.micro < other.micro

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.micro <= other.micro

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.micro > other.micro

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.micro >= other.micro

    @property
    def is_zero(self) -> bool:
        return self.micro == 0

    @property
    def is_negative(self) -> bool:
        return self.micro < 0

    def __str__(self) -> str:
        return f"{self.format()} {self.currency}"
