from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import pytest

from domain.model.errors import PromoCodeRejected, ValidationError
from domain.model.money import Money
from domain.model.promo import (
    NO_DISCOUNT,
    DiscountDuration,
    DiscountTerms,
    PromoCode,
    PromoKind,
    normalize_code,
)

from .factories import RUB, at, rub

NOW = at(2025, 3, 10, 12)


def percent(**fields: Any) -> PromoCode:
    """A valid 20% code, with `fields` changed (attrs validates the result)."""
    base = PromoCode(1, "SPRING", PromoKind.PERCENT, percent=20)
    return attrs.evolve(base, **fields)


class TestNormalizeCode:
    @pytest.mark.parametrize(
        ("text", "code"), [(" spring-25 ", "SPRING-25"), ("abc", "ABC"), ("A_1", "A_1")]
    )
    def test_upper_cases_and_trims(self, text: str, code: str) -> None:
        assert normalize_code(text) == code

    @pytest.mark.parametrize(
        "text", ["ab", "A" * 41, "-ABC", "_ABC", "SPR ING", "SPRING!", "", 42, None]
    )
    def test_rejects(self, text: object) -> None:
        with pytest.raises(ValidationError) as err:
            normalize_code(text)
        assert err.value.field == "promoCode"


class TestDefinition:
    @pytest.mark.parametrize(
        ("fields", "field"),
        [
            ({"percent": 0}, "percent"),
            ({"percent": 101}, "percent"),
            ({"kind": PromoKind.FIXED, "percent": 0}, "amount"),
            ({"kind": PromoKind.FIXED, "amount": Money.zero(RUB)}, "amount"),
            ({"kind": PromoKind.BONUS, "amount": rub("-1.00")}, "amount"),
            (
                {
                    "kind": PromoKind.FIXED,
                    "amount": rub("1.00"),
                    "duration": DiscountDuration.FOREVER,
                },
                "duration",
            ),
            ({"duration": DiscountDuration.DAYS, "duration_days": 0}, "durationDays"),
            ({"max_uses": 0}, "maxUses"),
            ({"max_uses_per_customer": 0}, "maxUsesPerCustomer"),
            ({"valid_from": NOW, "valid_until": NOW}, "validUntil"),
            ({"code": "x"}, "promoCode"),
        ],
    )
    def test_invalid_definitions_name_the_field(
        self, fields: dict[str, object], field: str
    ) -> None:
        with pytest.raises(ValidationError) as err:
            percent(**fields)
        assert err.value.field == field

    def test_bonus_is_not_for_orders(self) -> None:
        assert not PromoCode(1, "GIFT", PromoKind.BONUS, amount=rub("100.00")).applies_to_orders
        assert percent().applies_to_orders

    def test_with_use_counts_without_mutating(self) -> None:
        code = percent(uses=2)
        assert code.with_use().uses == 3 and code.uses == 2


class TestCheck:
    def test_usable_code_passes(self) -> None:
        percent(valid_from=NOW, valid_until=NOW + dt.timedelta(days=1), max_uses=5, uses=4).check(
            now=NOW, customer_uses=0
        )

    @pytest.mark.parametrize(
        ("fields", "kwargs", "reason"),
        [
            ({"active": False}, {}, "inactive"),
            ({"valid_from": NOW + dt.timedelta(seconds=1)}, {}, "not_yet_valid"),
            ({"valid_until": NOW}, {}, "expired"),  # the end is exclusive
            ({"max_uses": 3, "uses": 3}, {}, "exhausted"),
            ({}, {"customer_uses": 1}, "already_used"),
            ({"max_uses_per_customer": 2}, {"customer_uses": 2}, "already_used"),
            ({}, {"for_order": False}, "wrong_use"),
            ({"tariff_ids": frozenset({1})}, {"tariff_id": 2}, "wrong_tariff"),
            (
                {"tariff_ids": frozenset({1})},
                {"tariff_id": None},
                "wrong_tariff",
            ),  # a custom configuration
            ({"location_ids": frozenset({1})}, {"location_id": 2}, "wrong_location"),
            # the first reason that applies wins: an inactive code is not reported as exhausted
            ({"active": False, "max_uses": 1, "uses": 1}, {}, "inactive"),
        ],
    )
    def test_rejection_reasons(
        self, fields: dict[str, object], kwargs: dict[str, object], reason: str
    ) -> None:
        arguments: dict[str, object] = {"now": NOW, "customer_uses": 0, **kwargs}
        with pytest.raises(PromoCodeRejected) as err:
            percent(**fields).check(**arguments)  # type: ignore[arg-type]
        assert err.value.reason == reason
        assert err.value.details["reason"] == reason
        assert err.value.code == "promo_code_rejected"

    def test_bonus_code_is_redeemed_on_the_balance_page(self) -> None:
        gift = PromoCode(
            1, "GIFT", PromoKind.BONUS, amount=rub("100.00"), tariff_ids=frozenset({1})
        )
        gift.check(now=NOW, customer_uses=0, for_order=False)  # tariff limits concern orders only
        with pytest.raises(PromoCodeRejected) as err:
            gift.check(now=NOW, customer_uses=0, for_order=True)
        assert err.value.reason == "wrong_use"

    def test_valid_from_is_inclusive(self) -> None:
        percent(valid_from=NOW).check(now=NOW, customer_uses=0)

    def test_restricted_code_accepts_its_tariff_and_location(self) -> None:
        code = percent(tariff_ids=frozenset({1, 2}), location_ids=frozenset({3}))
        code.check(now=NOW, customer_uses=0, tariff_id=2, location_id=3)


class TestDiscountTerms:
    def test_fixed(self) -> None:
        terms = PromoCode(1, "FIXED", PromoKind.FIXED, amount=rub("1.00")).discount_terms(NOW)
        assert terms == DiscountTerms(percent=0, until=NOW, first_charge_off=rub("1.00"))

    @pytest.mark.parametrize(
        ("duration", "days", "until"),
        [
            (DiscountDuration.FIRST_CHARGE, 0, NOW),
            (DiscountDuration.DAYS, 7, NOW + dt.timedelta(days=7)),
            (DiscountDuration.FOREVER, 0, None),
        ],
    )
    def test_percent_lasts_as_long_as_its_duration(
        self, duration: DiscountDuration, days: int, until: dt.datetime | None
    ) -> None:
        terms = percent(duration=duration, duration_days=days).discount_terms(NOW)
        assert (terms.percent, terms.until, terms.first_charge_off) == (20, until, None)

    def test_bonus_gives_no_discount(self) -> None:
        assert (
            PromoCode(1, "GIFT", PromoKind.BONUS, amount=rub("5.00")).discount_terms(NOW)
            == NO_DISCOUNT
        )

    def test_percent_at_ends_exclusively(self) -> None:
        terms = DiscountTerms(percent=20, until=NOW)
        assert terms.percent_at(NOW - dt.timedelta(microseconds=1)) == 20
        assert terms.percent_at(NOW) == 0
        assert DiscountTerms(percent=20, until=None).percent_at(at(2999, 1, 1)) == 20
        assert NO_DISCOUNT.percent_at(NOW) == 0

    @pytest.mark.parametrize(
        ("micro", "pct", "off"),
        [
            (4_000_000, 20, 800_000),  # 20% of 4.00 = 0.80
            (3, 50, 2),  # 1.5 micro rounds half up
            (3, 15, 0),  # 0.45 micro rounds down
            (1_234_567, 100, 1_234_567),  # never more than the amount
            (1_234_567, 0, 0),
        ],
    )
    def test_off_rounds_half_up(self, micro: int, pct: int, off: int) -> None:
        assert NO_DISCOUNT.off(Money(micro, RUB), pct) == Money(off, RUB)

    def test_first_charge_discount(self) -> None:
        assert DiscountTerms(percent=25, until=NOW).first_charge_discount(rub("4.00")) == rub(
            "1.00"
        )
        fixed = DiscountTerms(first_charge_off=rub("10.00"))
        assert fixed.first_charge_discount(rub("4.00")) == rub("4.00")
        assert NO_DISCOUNT.first_charge_discount(rub("4.00")) == Money.zero(RUB)
