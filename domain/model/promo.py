"""Promo codes: who may use them, when, for what, and how much they take off.

A code gives one of three benefits: a percent off the usage rate, a fixed amount off the first
charge, or a bonus credited to the balance. The rules here are pure; the atomic reservation of a use
(so two concurrent orders never overuse a code) is the promo repository's promise.
"""

from __future__ import annotations

import datetime as dt
import enum

import attrs

from domain.model.errors import PromoCodeRejected, RuleViolation, ValidationError
from domain.model.money import Money, Rounding
from domain.model.values import PromoCodeText


class PromoKind(enum.Enum):
    PERCENT = "percent"  # percent off the usage price, for `duration`
    FIXED = "fixed"  # a fixed amount off the first charge
    BONUS = "bonus"  # money credited to the balance on redemption


class DiscountDuration(enum.Enum):
    FIRST_CHARGE = "first_charge"
    DAYS = "days"
    FOREVER = "forever"


def normalize_code(text: str) -> str:
    """A code as it is stored and looked up: trimmed, upper-case (PromoCodeText's rule)."""
    return PromoCodeText(text).text


@attrs.frozen
class PromoCode:
    id: int
    code: str = attrs.field(converter=normalize_code)  # stored as looked up: trimmed, upper-case
    kind: PromoKind
    percent: int = 0
    amount: Money | None = None
    duration: DiscountDuration = DiscountDuration.FIRST_CHARGE
    duration_days: int = 0
    valid_from: dt.datetime | None = None
    valid_until: dt.datetime | None = None
    max_uses: int | None = None  # None: unlimited
    max_uses_per_customer: int = 1
    tariff_ids: frozenset[int] = frozenset()  # empty: any order
    location_ids: frozenset[int] = frozenset()
    uses: int = 0
    active: bool = True

    def __attrs_post_init__(self) -> None:
        if self.kind is PromoKind.PERCENT:
            if not 1 <= self.percent <= 100:
                raise ValidationError("percent", "must be between 1 and 100")
        elif self.amount is None or self.amount.micro <= 0:
            raise ValidationError("amount", "must be a positive amount")
        if (
            self.kind is not PromoKind.PERCENT
            and self.duration is not DiscountDuration.FIRST_CHARGE
        ):
            raise ValidationError(
                "duration", "only a percent discount can last beyond the first charge"
            )
        if self.duration is DiscountDuration.DAYS and self.duration_days <= 0:
            raise ValidationError("durationDays", "must be positive for a discount that lasts days")
        if self.max_uses is not None and self.max_uses < 1:
            raise ValidationError("maxUses", "must be at least 1")
        if self.max_uses_per_customer < 1:
            raise ValidationError("maxUsesPerCustomer", "must be at least 1")
        if self.valid_from and self.valid_until and self.valid_until <= self.valid_from:
            raise RuleViolation("validUntil", "must be after validFrom")

    @property
    def applies_to_orders(self) -> bool:
        return self.kind is not PromoKind.BONUS

    def check(
        self,
        *,
        now: dt.datetime,
        customer_uses: int,
        tariff_id: int | None = None,
        location_id: int | None = None,
        for_order: bool = True,
    ) -> None:
        """Raise PromoCodeRejected with a reason unless this customer may use the code now."""
        if not self.active:
            raise PromoCodeRejected("inactive", f"promo code {self.code} is not active")
        if self.valid_from and now < self.valid_from:
            raise PromoCodeRejected("not_yet_valid", f"promo code {self.code} is not valid yet")
        if self.valid_until and now >= self.valid_until:
            raise PromoCodeRejected("expired", f"promo code {self.code} has expired")
        if self.max_uses is not None and self.uses >= self.max_uses:
            raise PromoCodeRejected("exhausted", f"promo code {self.code} has been used up")
        if customer_uses >= self.max_uses_per_customer:
            raise PromoCodeRejected("already_used", f"you have already used promo code {self.code}")
        if for_order != self.applies_to_orders:
            where = "with an order" if self.applies_to_orders else "on the balance page"
            raise PromoCodeRejected("wrong_use", f"promo code {self.code} is redeemed {where}")
        if for_order and self.tariff_ids and tariff_id not in self.tariff_ids:
            raise PromoCodeRejected(
                "wrong_tariff", f"promo code {self.code} does not apply to this tariff"
            )
        if for_order and self.location_ids and location_id not in self.location_ids:
            raise PromoCodeRejected(
                "wrong_location", f"promo code {self.code} does not apply to this location"
            )

    def with_use(self) -> PromoCode:
        return attrs.evolve(self, uses=self.uses + 1)

    def discount_terms(self, start: dt.datetime) -> DiscountTerms:
        """What the code takes off an order placed at `start`."""
        if self.kind is PromoKind.FIXED:
            assert self.amount is not None
            return DiscountTerms(percent=0, until=start, first_charge_off=self.amount)
        if self.kind is PromoKind.PERCENT:
            until: dt.datetime | None
            if self.duration is DiscountDuration.FIRST_CHARGE:
                until = start
            elif self.duration is DiscountDuration.DAYS:
                until = start + dt.timedelta(days=self.duration_days)
            else:
                until = None
            return DiscountTerms(percent=self.percent, until=until, first_charge_off=None)
        return NO_DISCOUNT


@attrs.frozen
class DiscountTerms:
    """A discount as a server carries it: a percent until a time (None: forever), plus a one-off."""

    percent: int = 0
    until: dt.datetime | None = dt.datetime.min.replace(tzinfo=dt.UTC)
    first_charge_off: Money | None = None

    def percent_at(self, moment: dt.datetime) -> int:
        if self.percent and (self.until is None or moment < self.until):
            return self.percent
        return 0

    def off(self, amount: Money, percent: int) -> Money:
        """The part of `amount` a percent takes off; rounded half up, never more than the amount."""
        return (
            amount.scale(percent, 100, Rounding.HALF_UP) if percent else Money.zero(amount.currency)
        )

    def first_charge_discount(self, list_amount: Money) -> Money:
        if self.first_charge_off is not None:
            return self.first_charge_off.min(list_amount)
        return self.off(list_amount, self.percent)


NO_DISCOUNT = DiscountTerms()
