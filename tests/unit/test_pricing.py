from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json

import attrs
import pytest

from domain.model.catalogue import ServerConfig
from domain.model.commands import OrderRequest
from domain.model.errors import NotFound, QuoteRejected, ValidationError
from domain.model.money import Money
from domain.model.pricing import (
    list_charge,
    monthly_cap,
    quote,
    resolve_order,
    sign_quote,
    verify_quote,
)
from domain.model.promo import NO_DISCOUNT, DiscountDuration, PromoCode, PromoKind

from .factories import BIG, MSK, RUB, SMALL, SPB, WINDOWS, at, catalogue, rub

NOW = at(2025, 3, 10, 12)
KEY = b"k" * 32
HOUR = 3600


def custom_order(**overrides: object):  # type: ignore[no-untyped-def]
    fields: dict[str, object] = {
        "os_id": 1,
        "location_id": 1,
        "cores": 2,
        "memory": 2048,
        "disk": 20,
    }
    fields.update(overrides)
    return resolve_order(catalogue(), OrderRequest(**fields))  # type: ignore[arg-type]


class TestResolveOrder:
    def test_custom_configuration(self) -> None:
        order = custom_order()
        assert (order.location, order.tariff, order.config) == (
            MSK,
            None,
            ServerConfig(2, 2048, 20),
        )

    def test_tariff_brings_its_config(self) -> None:
        order = resolve_order(catalogue(), OrderRequest(os_id=2, location_id=2, tariff_id=2))
        assert (order.image, order.tariff, order.config) == (WINDOWS, BIG, BIG.config)

    def test_tariff_without_location_takes_its_first_location(self) -> None:
        assert (
            resolve_order(catalogue(), OrderRequest(os_id=1, tariff_id=2)).location == SPB
        )  # BIG: only at 2
        assert (
            resolve_order(catalogue(), OrderRequest(os_id=1, tariff_id=1)).location == MSK
        )  # SMALL: first of all

    def test_tariff_not_offered_at_the_location(self) -> None:
        with pytest.raises(ValidationError) as err:
            resolve_order(catalogue(), OrderRequest(os_id=1, location_id=1, tariff_id=2))
        assert err.value.field == "locationId"

    def test_tariff_and_resources_exclude_each_other(self) -> None:
        with pytest.raises(ValidationError) as err:
            resolve_order(catalogue(), OrderRequest(os_id=1, tariff_id=1, cores=2))
        assert err.value.field == "tariffId"

    @pytest.mark.parametrize("missing", ["location_id", "cores", "memory", "disk"])
    def test_custom_needs_every_resource(self, missing: str) -> None:
        wire = {"location_id": "locationId", "cores": "cores", "memory": "memory", "disk": "disk"}
        with pytest.raises(ValidationError) as err:
            custom_order(**{missing: None})
        assert err.value.field == wire[missing]

    def test_resources_are_checked_against_the_limits(self) -> None:
        with pytest.raises(ValidationError) as err:
            custom_order(memory=1000)
        assert err.value.field == "memory"

    def test_unknown_image_is_named(self) -> None:
        # Only an int is an id (tests/http/test_commands.py); an unknown one is not found.
        with pytest.raises(NotFound) as err:
            custom_order(os_id=99)
        assert err.value.details["kind"] == "os"


class TestCharges:
    def test_monthly_cap_is_730_hours(self) -> None:
        assert monthly_cap(rub("3.00"), None) == rub("2190.00")  # 3.00 x 730

    def test_monthly_cap_is_capped_by_the_tariff(self) -> None:
        assert monthly_cap(rub("3.00"), SMALL) == rub("500.00")  # min(2190.00, 500.00)
        cheap = attrs.evolve(SMALL, monthly_price=rub("5000.00"))
        assert monthly_cap(rub("3.00"), cheap) == rub("2190.00")

    @pytest.mark.parametrize(
        ("seconds", "micro"),
        [
            (HOUR, 3_000_000),
            (1800, 1_500_000),
            (1, 833),  # 3_000_000 / 3600 = 833.33
            (2, 1667),  # 1666.67 rounds half up
            (0, 0),
            (730 * HOUR, 2_190_000_000),
        ],
    )
    def test_list_charge_per_second(self, seconds: int, micro: int) -> None:
        assert list_charge(rub("3.00"), rub("2190.00"), seconds) == Money(micro, RUB)

    def test_list_charge_stops_at_the_cap(self) -> None:
        # 31 days x 24 h x 3.00 = 2232.00, but the month costs at most 2190.00
        assert list_charge(rub("3.00"), rub("2190.00"), 31 * 24 * HOUR) == rub("2190.00")
        assert list_charge(rub("3.00"), rub("500.00"), 200 * HOUR) == rub("500.00")  # 600.00 capped


class TestQuote:
    def test_custom_order_without_promo(self) -> None:
        q = quote(catalogue(), custom_order(), period_seconds=HOUR, now=NOW)
        # 2 x 1.50 + 2 x 0.40 + 20 x 0.01 = 4.00/h; 4.00 x 730 = 2920.00
        assert q.hourly == rub("4.00")
        assert q.monthly == rub("2920.00")
        assert q.first_charge_list == rub("4.00")
        assert q.discount == Money.zero(RUB)
        assert q.first_charge == rub("4.00")
        assert (q.catalogue_version, q.location_id, q.image_id, q.tariff_id) == (7, 1, 1, None)
        assert q.promo_code is None and q.terms == NO_DISCOUNT
        assert q.currency == RUB

    def test_tariff_order_is_capped_by_its_price(self) -> None:
        order = resolve_order(catalogue(), OrderRequest(os_id=1, location_id=2, tariff_id=2))
        q = quote(catalogue(), order, period_seconds=HOUR, now=NOW)
        # 4 x 1.50 + 8 x 0.40 + 80 x 0.01 = 10.00/h; 7300.00 a month capped at 1000.00
        assert (q.hourly, q.monthly, q.first_charge, q.tariff_id) == (
            rub("10.00"),
            rub("1000.00"),
            rub("10.00"),
            2,
        )

    def test_a_licence_is_not_swallowed_by_a_tariff_cap(self) -> None:
        # Regression: the licence was added before the cap, so a Windows server on a tariff paid
        # no licence at all once the month reached the tariff's price.
        order = resolve_order(
            catalogue(), OrderRequest(os_id=WINDOWS.id, location_id=1, tariff_id=1)
        )
        q = quote(catalogue(), order, period_seconds=HOUR, now=NOW)
        # resources 1.50 + 0.40 + 0.10 = 2.00/h, x 730 = 1460.00 capped at 500.00;
        # licence 0.50/h x 730 = 365.00 on top
        assert q.hourly == rub("2.50")
        assert q.monthly == rub("865.00")

    def test_period_sets_the_first_charge(self) -> None:
        q = quote(catalogue(), custom_order(), period_seconds=1800, now=NOW)
        assert q.first_charge == rub("2.00") and q.period_seconds == 1800

    def test_period_must_be_positive(self) -> None:
        with pytest.raises(ValueError):
            quote(catalogue(), custom_order(), period_seconds=0, now=NOW)

    def test_percent_code(self) -> None:
        promo = PromoCode(1, "SPRING", PromoKind.PERCENT, percent=20)
        q = quote(catalogue(), custom_order(), period_seconds=HOUR, promo=promo, now=NOW)
        # 20% of 4.00 = 0.80
        assert (q.discount, q.first_charge, q.promo_code) == (rub("0.80"), rub("3.20"), "SPRING")
        assert (q.terms.percent, q.terms.until) == (20, NOW)

    def test_percent_for_days_carries_its_end(self) -> None:
        promo = PromoCode(
            1,
            "WEEK",
            PromoKind.PERCENT,
            percent=10,
            duration=DiscountDuration.DAYS,
            duration_days=7,
        )
        q = quote(catalogue(), custom_order(), period_seconds=HOUR, promo=promo, now=NOW)
        assert q.terms.until == NOW + dt.timedelta(days=7)
        assert q.first_charge == rub("3.60")

    @pytest.mark.parametrize(
        ("amount", "discount", "first"), [("1.00", "1.00", "3.00"), ("10.00", "4.00", "0.00")]
    )
    def test_fixed_code_never_exceeds_the_first_charge(
        self, amount: str, discount: str, first: str
    ) -> None:
        promo = PromoCode(1, "FIXED", PromoKind.FIXED, amount=rub(amount))
        q = quote(catalogue(), custom_order(), period_seconds=HOUR, promo=promo, now=NOW)
        assert (q.discount, q.first_charge) == (rub(discount), rub(first))

    def test_bonus_code_does_not_touch_an_order(self) -> None:
        promo = PromoCode(1, "GIFT", PromoKind.BONUS, amount=rub("100.00"))
        q = quote(catalogue(), custom_order(), period_seconds=HOUR, promo=promo, now=NOW)
        assert (q.discount, q.first_charge, q.promo_code, q.terms) == (
            Money.zero(RUB),
            rub("4.00"),
            None,
            NO_DISCOUNT,
        )

    def test_deterministic(self) -> None:
        order = custom_order()
        assert quote(catalogue(), order, period_seconds=HOUR, now=NOW) == quote(
            catalogue(), order, period_seconds=HOUR, now=NOW
        )


class TestSignedQuote:
    expires = NOW + dt.timedelta(minutes=15)

    def fresh(self, **order: object):  # type: ignore[no-untyped-def]
        return quote(catalogue(), custom_order(**order), period_seconds=HOUR, now=NOW)

    def token(self, account_id: int = 5) -> str:
        return sign_quote(self.fresh(), account_id=account_id, expires_at=self.expires, key=KEY)

    def test_round_trip(self) -> None:
        token = self.token()
        assert token.startswith("q1.") and token.count(".") == 2
        verify_quote(token, self.fresh(), account_id=5, now=NOW, key=KEY)  # raises if refused
        verify_quote(
            token, self.fresh(), account_id=5, now=self.expires - dt.timedelta(seconds=1), key=KEY
        )

    def test_expires(self) -> None:
        with pytest.raises(QuoteRejected, match="expired"):
            verify_quote(self.token(), self.fresh(), account_id=5, now=self.expires, key=KEY)

    def test_binds_the_customer(self) -> None:
        with pytest.raises(QuoteRejected, match="does not match"):
            verify_quote(self.token(), self.fresh(), account_id=6, now=NOW, key=KEY)

    def test_binds_the_configuration(self) -> None:
        with pytest.raises(QuoteRejected, match="does not match"):
            verify_quote(self.token(), self.fresh(cores=3), account_id=5, now=NOW, key=KEY)

    def test_binds_the_price(self) -> None:
        repriced = quote(catalogue(version=8), custom_order(), period_seconds=HOUR, now=NOW)
        with pytest.raises(QuoteRejected, match="does not match"):
            verify_quote(self.token(), repriced, account_id=5, now=NOW, key=KEY)

    def test_another_key_is_refused(self) -> None:
        with pytest.raises(QuoteRejected, match="not a quote we issued"):
            verify_quote(self.token(), self.fresh(), account_id=5, now=NOW, key=b"x" * 32)

    def test_edited_claims_are_refused(self) -> None:
        _, body, mac = self.token().split(".")
        claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        claims["f"] = 1  # pay one micro-unit
        forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
        with pytest.raises(QuoteRejected, match="not a quote we issued"):
            verify_quote(f"q1.{forged}.{mac}", self.fresh(), account_id=5, now=NOW, key=KEY)

    def test_signed_garbage_is_refused_not_crashed(self) -> None:
        body = base64.urlsafe_b64encode(b"not json").decode().rstrip("=")
        mac = hmac.new(KEY, body.encode(), hashlib.sha256).hexdigest()
        with pytest.raises(QuoteRejected):
            verify_quote(f"q1.{body}.{mac}", self.fresh(), account_id=5, now=NOW, key=KEY)

    @pytest.mark.parametrize(
        "token",
        [
            "",
            "q1.a",
            "q2.a.b",
            "q1.a.b.c",
            "q1..",
            "q1.abc.\u00e9",
            "q1.\ud800.abc",
            "q1.é.abc",
        ],
    )
    def test_malformed_tokens_are_refused(self, token: object) -> None:
        # Regression: a non-ASCII MAC made hmac.compare_digest raise TypeError, and a lone
        # surrogate in the body made str.encode raise: both were 500s for bad input, not
        # QuoteRejected.
        with pytest.raises(QuoteRejected):
            verify_quote(token, self.fresh(), account_id=5, now=NOW, key=KEY)
