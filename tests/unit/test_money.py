from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.model.errors import ValidationError
from domain.model.money import MAX_UNITS, MICRO, Money, Rounding, divide

RUB = "RUB"
CENTS_LIMIT = MAX_UNITS * 100  # the largest amount, in hundredths


class TestConstruction:
    def test_of_counts_whole_units_in_micro_units(self) -> None:
        assert Money.of(3, RUB).micro == 3_000_000
        assert Money.zero("EUR") == Money(0, "EUR")

    @pytest.mark.parametrize("bad", [1.5, True, "10", None])
    def test_holds_only_an_int(self, bad: object) -> None:
        with pytest.raises(TypeError):
            Money(bad, RUB)  # type: ignore[arg-type]

    @pytest.mark.parametrize("code", ["rub", "RU", "RUBL", "РУБ", "", 643])
    def test_currency_is_a_three_letter_ascii_code(self, code: object) -> None:
        with pytest.raises(ValidationError) as err:
            Money(1, code)  # type: ignore[arg-type]
        assert err.value.field == "currency"

    def test_range_is_bounded_both_ways(self) -> None:
        assert Money(MAX_UNITS * MICRO, RUB).micro == 10**18
        assert Money(-MAX_UNITS * MICRO, RUB).micro == -(10**18)
        for micro in (MAX_UNITS * MICRO + 1, -MAX_UNITS * MICRO - 1):
            with pytest.raises(ValidationError):
                Money(micro, RUB)

    def test_equality_includes_the_currency(self) -> None:
        assert Money(5, RUB) == Money(5, RUB)
        assert Money(5, RUB) != Money(5, "USD")
        assert len({Money(5, RUB), Money(5, RUB), Money(5, "USD")}) == 2


class TestParse:
    @pytest.mark.parametrize(
        ("text", "micro"),
        [
            ("300.00", 300_000_000),
            ("0.5", 500_000),
            ("-1.25", -1_250_000),
            ("1.000001", 1_000_001),  # rates per hour may carry six places
            ("42", 42_000_000),
            (" 7.10 ", 7_100_000),
            ("007.00", 7_000_000),
            ("-0.00", 0),
            ("1000000000000", 10**18),  # exactly MAX_UNITS
        ],
    )
    def test_decimal_strings(self, text: str, micro: int) -> None:
        assert Money.parse(text, RUB) == Money(micro, RUB)

    @pytest.mark.parametrize(
        "text",
        [
            "1e3",
            "1.0000001",
            "+1",
            ".5",
            "5.",
            "1,00",
            "",
            " ",
            "abc",
            "1.2.3",
            "--1",
            "0x10",
            "NaN",
            "inf",
            "1_000",
        ],
    )
    def test_rejects_anything_but_a_plain_decimal(self, text: str) -> None:
        with pytest.raises(ValidationError) as err:
            Money.parse(text, RUB, field="amount")
        assert err.value.field == "amount"

    @pytest.mark.parametrize("value", [1.5, 100, None, b"1.00"])
    def test_rejects_non_strings_such_as_json_numbers(self, value: object) -> None:
        with pytest.raises(ValidationError) as err:
            Money.parse(value, RUB, field="price")
        assert err.value.field == "price"

    @pytest.mark.parametrize(
        "text", ["\u0663.\u0665\u0660", "\uff11\uff10\uff10.\uff10\uff10", "1.\u0665"]
    )
    def test_rejects_digits_of_other_scripts(self, text: str) -> None:
        # Regression: `\d` matched Arabic-Indic and full-width digits and int() read them, so
        # "٣.٥٠" was taken for 3.50.
        with pytest.raises(ValidationError):
            Money.parse(text, RUB)

    @pytest.mark.parametrize(
        "text",
        [
            "1000000000000.000001",
            "9999999999999",
            "-1000000000001",
            "9223372036855",  # its micro-units are past PostgreSQL's bigint
        ],
    )
    def test_out_of_range_names_the_callers_field(self, text: str) -> None:
        # Regression: a whole part of exactly MAX_UNITS with a fraction slipped past parse's own
        # check and failed in Money's validator under the field "amount", not the caller's field.
        with pytest.raises(ValidationError) as err:
            Money.parse(text, RUB, field="price")
        assert err.value.field == "price"
        assert "out of range" in err.value.message


class TestFormat:
    @pytest.mark.parametrize(
        ("micro", "places", "text"),
        [
            (1_239_999, 2, "1.23"),  # towards zero: never shows more than is there
            (-1_239_999, 2, "-1.23"),
            (-1, 2, "0.00"),  # a truncated negative dust is zero, not "-0.00"
            (-10_000, 2, "-0.01"),
            (1_239_999, 6, "1.239999"),
            (1_999_999, 0, "1"),
            (5_000_000, 4, "5.0000"),
            (300_000_000, 2, "300.00"),
            (0, 2, "0.00"),
        ],
    )
    def test_format(self, micro: int, places: int, text: str) -> None:
        assert Money(micro, RUB).format(places) == text

    @pytest.mark.parametrize("places", [-1, 7])
    def test_places_within_zero_to_six(self, places: int) -> None:
        with pytest.raises(ValueError):
            Money(1, RUB).format(places)

    def test_str_shows_two_places_and_currency(self) -> None:
        assert str(Money(1_239_999, RUB)) == "1.23 RUB"


class TestArithmetic:
    def test_add_sub_neg(self) -> None:
        a, b = Money(3_000_000, RUB), Money(1_250_000, RUB)
        assert a + b == Money(4_250_000, RUB)
        assert a - b == Money(1_750_000, RUB)
        assert b - a == Money(-1_750_000, RUB)
        assert -a == Money(-3_000_000, RUB)

    def test_currencies_never_mix(self) -> None:
        rub, usd = Money(1, RUB), Money(1, "USD")
        for op in (lambda: rub + usd, lambda: rub - usd, lambda: rub < usd, lambda: rub.min(usd)):
            with pytest.raises(ValueError, match="currency mismatch"):
                op()

    def test_combines_only_with_money(self) -> None:
        with pytest.raises(TypeError):
            Money(1, RUB) + 1  # type: ignore[operator]

    def test_multiplies_by_an_int_only(self) -> None:
        assert Money(1_500_000, RUB) * 730 == Money(1_095_000_000, RUB)
        assert 2 * Money(1_500_000, RUB) == Money(3_000_000, RUB)
        for factor in (1.5, True, Decimal(2)):
            with pytest.raises(TypeError):
                Money(1, RUB) * factor  # type: ignore[operator]

    @pytest.mark.parametrize(
        ("micro", "num", "den", "rounding", "expected"),
        [
            (10, 1, 3, Rounding.DOWN, 3),  # 3.33
            (10, 1, 3, Rounding.UP, 4),
            (10, 1, 3, Rounding.HALF_UP, 3),
            (10, 1, 4, Rounding.HALF_UP, 3),  # 2.5 rounds up
            (9, 1, 4, Rounding.HALF_UP, 2),  # 2.25
            (-10, 1, 4, Rounding.HALF_UP, -3),  # a negative mirrors a positive
            (-10, 1, 3, Rounding.DOWN, -3),
            (-10, 1, 3, Rounding.UP, -4),
            (3_000_000, 1800, 3600, Rounding.HALF_UP, 1_500_000),  # half an hour at 3.00
            (12, 0, 5, Rounding.UP, 0),
        ],
    )
    def test_scale_rounds_as_asked(
        self, micro: int, num: int, den: int, rounding: Rounding, expected: int
    ) -> None:
        assert Money(micro, RUB).scale(num, den, rounding) == Money(expected, RUB)

    @pytest.mark.parametrize("den", [0, -3])
    def test_divide_needs_a_positive_denominator(self, den: int) -> None:
        with pytest.raises(ValueError):
            divide(10, den, Rounding.DOWN)

    def test_min_max_and_order(self) -> None:
        a, b = Money(1, RUB), Money(2, RUB)
        assert a.min(b) is a and a.max(b) is b
        assert a < b and a <= b and b > a and b >= a and a <= Money(1, RUB)
        assert not (a > b)

    def test_sign_predicates(self) -> None:
        assert Money(0, RUB).is_zero and not Money(1, RUB).is_zero
        assert Money(-1, RUB).is_negative and not Money(0, RUB).is_negative


def _cents_text(cents: int) -> str:
    """The canonical two-place string for an amount in hundredths, built without Money."""
    sign = "-" if cents < 0 else ""
    whole, fraction = divmod(abs(cents), 100)
    return f"{sign}{whole}.{fraction:02d}"


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=-CENTS_LIMIT, max_value=CENTS_LIMIT))
def test_two_place_strings_round_trip_exactly(cents: int) -> None:
    text = _cents_text(cents)
    money = Money.parse(text, RUB)
    assert money.micro == cents * 10_000
    assert money.format() == text


@settings(max_examples=200, deadline=None)
@given(st.from_regex(r"\A-?[0-9]{1,12}(\.[0-9]{1,2})?\Z"))
def test_parse_agrees_with_decimal_and_is_stable(text: str) -> None:
    money = Money.parse(text, RUB)
    assert money.micro == int(Decimal(text).scaleb(6))
    assert Money.parse(money.format(), RUB) == money


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=-(10**18), max_value=10**18), st.integers(min_value=0, max_value=6))
def test_format_truncates_towards_zero_by_less_than_one_step(micro: int, places: int) -> None:
    shown = Money.parse(Money(micro, RUB).format(places), RUB).micro
    assert abs(shown) <= abs(micro)
    assert abs(micro - shown) < 10 ** (6 - places)


def test_what_customers_read_is_rounded_half_up_and_the_default_cuts_off() -> None:
    assert Money.parse("996.409444", "RUB").format(2, Rounding.HALF_UP) == "996.41"
    assert Money.parse("996.405", "RUB").format(2, Rounding.HALF_UP) == "996.41"
    assert Money.parse("996.404999", "RUB").format(2, Rounding.HALF_UP) == "996.40"
    assert Money.parse("-0.005", "RUB").format(2, Rounding.HALF_UP) == "-0.01"
    assert Money.parse("996.409444", "RUB").format(2) == "996.40"  # never shows more than is there
