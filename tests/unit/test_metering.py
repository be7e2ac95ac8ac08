from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.model.metering import Meter, UsageSegment, bill, month_start, next_month
from domain.model.money import Money
from domain.model.pricing import list_charge
from domain.model.promo import NO_DISCOUNT, DiscountTerms

from .factories import RUB, at, rub

HOURLY = rub("3.00")
CAP = rub("2190.00")  # 3.00 x 730


def meter(
    start: dt.datetime,
    *,
    cap: Money = CAP,
    terms: DiscountTerms = NO_DISCOUNT,
    hourly: Money = HOURLY,
) -> Meter:
    return Meter.start(hourly, cap, terms, start)


def amounts(segments: list[UsageSegment]) -> list[tuple[int, int]]:
    return [(s.list_amount.micro, s.discount.micro) for s in segments]


class TestMonths:
    @pytest.mark.parametrize(
        ("moment", "start", "following"),
        [
            (at(2025, 3, 10, 12, 30, 5, 7), at(2025, 3, 1), at(2025, 4, 1)),
            (at(2024, 12, 31, 23, 59, 59, 999_999), at(2024, 12, 1), at(2025, 1, 1)),
            (at(2024, 2, 29, 12), at(2024, 2, 1), at(2024, 3, 1)),
        ],
    )
    def test_month_start_and_next(
        self, moment: dt.datetime, start: dt.datetime, following: dt.datetime
    ) -> None:
        assert month_start(moment) == start
        assert next_month(moment) == following


class TestPerSecondBilling:
    start = at(2025, 3, 10, 12)

    def test_an_hour_costs_the_hourly_rate(self) -> None:
        after, segments = bill(meter(self.start), at(2025, 3, 10, 13))
        assert [(s.start, s.end) for s in segments] == [(self.start, at(2025, 3, 10, 13))]
        assert amounts(segments) == [(3_000_000, 0)]
        assert segments[0].charge == rub("3.00")
        assert (after.billed_until, after.month_seconds, after.month_list_micro) == (
            at(2025, 3, 10, 13),
            3600,
            3_000_000,
        )

    def test_cumulative_so_rounding_never_accumulates(self) -> None:
        # 3.00/h is 833.33 micro a second: 1 s -> 833, 2 s -> 1666.67 -> 1667, 3 s -> 2500.
        m = meter(self.start)
        billed = []
        for second in (1, 2, 3):
            m, [segment] = bill(m, self.start + dt.timedelta(seconds=second))
            billed.append(segment.list_amount.micro)
        assert billed == [833, 834, 833]
        assert sum(billed) == list_charge(HOURLY, CAP, 3).micro == 2500

    def test_repeated_tick_bills_nothing(self) -> None:
        first, _ = bill(meter(self.start), at(2025, 3, 10, 13))
        again, segments = bill(first, at(2025, 3, 10, 13))
        assert segments == [] and again == first

    def test_tick_behind_the_watermark_bills_nothing(self) -> None:
        first, _ = bill(meter(self.start), at(2025, 3, 10, 13))
        assert bill(first, at(2025, 3, 10, 12, 30)) == (first, [])

    def test_missed_ticks_bill_the_whole_gap(self) -> None:
        m, _ = bill(meter(self.start), at(2025, 3, 10, 13))
        m, segments = bill(m, at(2025, 3, 10, 18))  # ticks at 14..17 never ran
        assert [(s.start, s.end) for s in segments] == [(at(2025, 3, 10, 13), at(2025, 3, 10, 18))]
        assert amounts(segments) == [(15_000_000, 0)]  # 5 h x 3.00

    def test_sub_second_remainder_waits_for_the_next_run(self) -> None:
        m0 = meter(self.start)
        assert bill(m0, self.start + dt.timedelta(microseconds=500_000)) == (m0, [])
        m, [segment] = bill(m0, self.start + dt.timedelta(seconds=1, microseconds=500_000))
        assert (segment.end, segment.list_amount.micro) == (
            self.start + dt.timedelta(seconds=1),
            833,
        )
        assert m.billed_until == self.start + dt.timedelta(seconds=1)

    def test_prepaid_first_period_is_not_billed_again(self) -> None:
        m = meter(self.start).prepaid(3600, rub("3.00"))
        assert (m.billed_until, m.month_seconds, m.month_list_micro) == (
            at(2025, 3, 10, 13),
            3600,
            3_000_000,
        )
        m, segments = bill(m, at(2025, 3, 10, 14))
        assert [(s.start, s.list_amount) for s in segments] == [(at(2025, 3, 10, 13), rub("3.00"))]


class TestMonthBoundaries:
    def test_split_at_the_month_boundary(self) -> None:
        m, segments = bill(meter(at(2025, 1, 31, 22)), at(2025, 2, 1, 2))
        assert [(s.start, s.end) for s in segments] == [
            (at(2025, 1, 31, 22), at(2025, 2, 1)),
            (at(2025, 2, 1), at(2025, 2, 1, 2)),
        ]
        assert amounts(segments) == [(6_000_000, 0), (6_000_000, 0)]  # 2 h each at 3.00
        assert (m.month, m.month_seconds, m.month_list_micro) == (at(2025, 2, 1), 7200, 6_000_000)

    def test_split_at_the_year_boundary(self) -> None:
        _, segments = bill(meter(at(2024, 12, 31, 23, 30)), at(2025, 1, 1, 0, 30))
        assert [(s.end, s.list_amount) for s in segments] == [
            (at(2025, 1, 1), rub("1.50")),
            (at(2025, 1, 1, 0, 30), rub("1.50")),
        ]

    def test_a_long_month_is_capped_at_730_hours(self) -> None:
        # January: 744 h x 3.00 = 2232.00 > 2190.00; February 2025: 672 h x 3.00 = 2016.00
        _, segments = bill(meter(at(2025, 1, 1)), at(2025, 3, 1))
        assert [s.list_amount for s in segments] == [rub("2190.00"), rub("2016.00")]

    def test_tariff_cap_then_nothing_until_the_next_month(self) -> None:
        m = meter(at(2025, 3, 1), cap=rub("500.00"))
        m, segments = bill(m, at(2025, 3, 8))  # 168 h x 3.00 = 504.00, capped
        assert [s.list_amount for s in segments] == [rub("500.00")]
        m, segments = bill(m, at(2025, 3, 20))
        assert [s.list_amount for s in segments] == [Money.zero(RUB)]
        m, segments = bill(m, at(2025, 4, 1, 1))
        assert [(s.start, s.list_amount) for s in segments] == [
            (at(2025, 3, 20), Money.zero(RUB)),
            (at(2025, 4, 1), rub("3.00")),  # a fresh month starts from zero
        ]

    def test_watermark_with_microseconds_crosses_the_month_end(self) -> None:
        # Regression: with a watermark at 23:59:59.5 the step to 00:00:00 was under a second, so
        # every run stopped there and the server was never billed again.
        m = meter(at(2025, 1, 31, 23, 0, 0, 500_000))
        m, segments = bill(m, at(2025, 2, 1, 1))
        assert [(s.start, s.end) for s in segments] == [
            (at(2025, 1, 31, 23, 0, 0, 500_000), at(2025, 1, 31, 23, 59, 59, 500_000)),
            (at(2025, 2, 1), at(2025, 2, 1, 1)),
        ]
        # 3599 s x 833.33 = 2_999_166.67 -> 2_999_167; the half second before midnight is free.
        assert amounts(segments) == [(2_999_167, 0), (3_000_000, 0)]
        m, segments = bill(m, at(2025, 2, 1, 2))
        assert amounts(segments) == [(3_000_000, 0)] and m.billed_until == at(2025, 2, 1, 2)


class TestDiscounts:
    start = at(2025, 3, 10, 12)

    def test_discount_ending_mid_segment_splits_it(self) -> None:
        terms = DiscountTerms(percent=20, until=at(2025, 3, 10, 12, 30))
        _, segments = bill(meter(self.start, terms=terms), at(2025, 3, 10, 13))
        assert [(s.start, s.end) for s in segments] == [
            (self.start, at(2025, 3, 10, 12, 30)),
            (at(2025, 3, 10, 12, 30), at(2025, 3, 10, 13)),
        ]
        # 1.50 at 20% off = 1.20, then 1.50 at list price
        assert [s.charge for s in segments] == [rub("1.20"), rub("1.50")]
        assert amounts(segments) == [(1_500_000, 300_000), (1_500_000, 0)]

    def test_forever(self) -> None:
        _, [segment] = bill(
            meter(self.start, terms=DiscountTerms(percent=20, until=None)), at(2025, 3, 10, 13)
        )
        assert (segment.list_amount, segment.discount, segment.charge) == (
            rub("3.00"),
            rub("0.60"),
            rub("2.40"),
        )

    def test_ended_discount_takes_nothing(self) -> None:
        terms = DiscountTerms(percent=20, until=self.start)  # a first-charge-only discount
        _, [segment] = bill(meter(self.start, terms=terms), at(2025, 3, 10, 13))
        assert segment.discount == Money.zero(RUB)

    def test_discount_end_with_microseconds_does_not_stall_billing(self) -> None:
        # Regression: a discount ending 0.25 s after a whole-second watermark left a sub-second
        # segment that every run refused to bill, so billing stopped for good at the discount's end.
        terms = DiscountTerms(percent=20, until=at(2025, 3, 10, 12, 30, 0, 250_000))
        m, segments = bill(meter(self.start, terms=terms), at(2025, 3, 10, 12, 30, 0, 100_000))
        assert amounts(segments) == [(1_500_000, 300_000)]
        assert m.billed_until == at(2025, 3, 10, 12, 30)
        m, segments = bill(m, at(2025, 3, 10, 13))
        # from 12:30:00.25, 1799 whole seconds: cumulative 3599 s -> 2_999_167, less 1_500_000
        assert [(s.start, s.end) for s in segments] == [
            (at(2025, 3, 10, 12, 30, 0, 250_000), at(2025, 3, 10, 12, 59, 59, 250_000))
        ]
        assert amounts(segments) == [(1_499_167, 0)]
        m, segments = bill(m, at(2025, 3, 10, 14))
        assert amounts(segments) == [(3_000_000, 0)]


class TestRerating:
    def test_a_resize_counts_what_the_month_already_cost(self) -> None:
        m, _ = bill(
            meter(at(2025, 3, 1), cap=rub("500.00")), at(2025, 3, 5, 4)
        )  # 100 h x 3.00 = 300.00
        m = m.rerated(rub("6.00"), rub("1000.00"))
        assert m.cap_left == rub("700.00")  # 1000.00 - 300.00 already billed
        m, segments = bill(m, at(2025, 3, 13, 12))  # 200 h x 6.00 = 1200.00, only 700.00 left
        assert [s.list_amount for s in segments] == [rub("700.00")]
        m, segments = bill(m, at(2025, 4, 1, 1))
        assert [s.list_amount for s in segments] == [
            Money.zero(RUB),
            rub("6.00"),
        ]  # April starts afresh
        assert m.cap_left == rub("1000.00")

    def test_a_smaller_cap_than_already_billed_leaves_nothing(self) -> None:
        m, _ = bill(meter(at(2025, 3, 1)), at(2025, 3, 5, 4))  # 300.00
        m = m.rerated(rub("1.00"), rub("200.00"))
        assert m.cap_left == Money.zero(RUB)
        _, segments = bill(m, at(2025, 3, 6))
        assert [s.list_amount for s in segments] == [Money.zero(RUB)]


# --- properties ----------------------------------------------------------------------------------

EPOCH = at(2024, 1, 1)
SPAN_MICRO = 75 * 86_400 * 10**6  # up to three calendar months


@st.composite
def billing_runs(draw: st.DrawFn, *, with_discount: bool) -> tuple[Meter, list[dt.datetime]]:
    start = EPOCH + dt.timedelta(microseconds=draw(st.integers(0, 366 * 86_400 * 10**6)))
    hourly = Money(draw(st.integers(1, 20_000_000)), RUB)
    cap = Money(
        draw(st.integers(1, hourly.micro * 744)), RUB
    )  # binds in some months, not in others
    terms = NO_DISCOUNT
    if with_discount:
        until = start + dt.timedelta(microseconds=draw(st.integers(0, SPAN_MICRO)))
        terms = DiscountTerms(
            percent=draw(st.integers(1, 100)), until=draw(st.sampled_from([until, None]))
        )
    offsets = draw(st.lists(st.integers(1, SPAN_MICRO), min_size=1, max_size=12))
    cuts = [start + dt.timedelta(microseconds=o) for o in sorted(offsets)]
    return Meter.start(hourly, cap, terms, start), cuts


def bill_in_runs(m: Meter, cuts: list[dt.datetime]) -> tuple[Meter, list[UsageSegment]]:
    segments: list[UsageSegment] = []
    for cut in cuts:
        m, more = bill(m, cut)
        segments += more
    return m, segments


def by_month(segments: list[UsageSegment]) -> dict[dt.datetime, tuple[int, int]]:
    """Per calendar month: seconds billed and list amount billed."""
    months: dict[dt.datetime, tuple[int, int]] = defaultdict(lambda: (0, 0))
    for s in segments:
        seconds, micro = months[month_start(s.start)]
        months[month_start(s.start)] = (
            seconds + (s.end - s.start) // dt.timedelta(seconds=1),
            micro + s.list_amount.micro,
        )
    return dict(months)


@settings(max_examples=150, deadline=None)
@given(billing_runs(with_discount=False))
def test_one_run_equals_any_number_of_smaller_runs(case: tuple[Meter, list[dt.datetime]]) -> None:
    m0, cuts = case
    once, one_run = bill(m0, cuts[-1])
    stepped, many_runs = bill_in_runs(m0, cuts)
    assert stepped == once
    assert by_month(many_runs) == by_month(one_run)
    assert sum(s.charge.micro for s in many_runs) == sum(s.charge.micro for s in one_run)
    # billing always gets within a second of the run's end: nothing is stuck behind a boundary
    assert cuts[-1] - dt.timedelta(seconds=1) < once.billed_until <= cuts[-1]


@settings(max_examples=150, deadline=None)
@given(billing_runs(with_discount=False))
def test_every_month_costs_exactly_its_seconds_and_never_more_than_the_cap(
    case: tuple[Meter, list[dt.datetime]],
) -> None:
    m0, cuts = case
    _, segments = bill_in_runs(m0, cuts)
    for s in segments:
        assert s.list_amount.micro >= 0
        assert month_start(s.start) == month_start(
            s.end - dt.timedelta(microseconds=1)
        )  # one month each
    for seconds, micro in by_month(segments).values():
        assert micro == list_charge(m0.hourly, m0.monthly_cap, seconds).micro
        assert micro <= m0.monthly_cap.micro


@settings(max_examples=100, deadline=None)
@given(billing_runs(with_discount=True))
def test_discounts_split_the_same_way_however_often_billing_runs(
    case: tuple[Meter, list[dt.datetime]],
) -> None:
    m0, cuts = case
    once, one_run = bill(m0, cuts[-1])
    stepped, many_runs = bill_in_runs(m0, cuts)
    assert stepped == once
    assert by_month(many_runs) == by_month(one_run)
    assert cuts[-1] - dt.timedelta(seconds=1) < once.billed_until <= cuts[-1]
    for s in many_runs:  # a segment is wholly before or wholly after the discount's end
        until = m0.terms.until
        assert until is None or s.end <= until or s.start >= until
    # The discount is rounded once per month over the discounted list price, never per run, so it
    # is the same to the micro-unit however many runs billed the month.
    assert discount_by_month(many_runs, m0.terms) == discount_by_month(one_run, m0.terms)
    percent = m0.terms.percent
    for discounted_list, discount in discount_by_month(many_runs, m0.terms).values():
        assert discount == (discounted_list * percent * 2 + 100) // 200


def discount_by_month(
    segments: list[UsageSegment], terms: DiscountTerms
) -> dict[dt.datetime, tuple[int, int]]:
    """Per calendar month: list amount billed under the discount, and the discount given."""
    months: dict[dt.datetime, tuple[int, int]] = defaultdict(lambda: (0, 0))
    for s in segments:
        listed, discount = months[month_start(s.start)]
        discounted = s.list_amount.micro if terms.percent_at(s.start) else 0
        months[month_start(s.start)] = (listed + discounted, discount + s.discount.micro)
    return dict(months)


class TestGrowingWithinThePrepaidPeriod:
    """Regression: a server grown inside its prepaid first hour had the bigger size free until the
    hour ended; now the difference for what is left of the hour is charged at once."""

    start = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)

    def prepaid(self, terms: DiscountTerms = NO_DISCOUNT) -> Meter:
        meter = Meter.start(rub("3.00"), rub("2190.00"), terms, self.start)
        return meter.prepaid(3600, rub("3.00"))

    def test_a_bigger_size_pays_the_difference_for_the_rest_of_the_period(self) -> None:
        at = self.start + dt.timedelta(minutes=15)  # 45 minutes of the prepaid hour left
        meter, extra = self.prepaid().grown_within_prepaid(rub("5.00"), rub("3650.00"), at)
        assert extra == rub("1.50")  # (5.00 - 3.00) x 45/60
        assert meter.hourly == rub("5.00") and meter.billed_until == self.start + dt.timedelta(
            hours=1
        )
        assert meter.month_carried_micro == rub("3.00").micro + rub("1.50").micro

    def test_a_smaller_size_gets_nothing_back(self) -> None:
        at = self.start + dt.timedelta(minutes=15)
        meter, extra = self.prepaid().grown_within_prepaid(rub("1.00"), rub("730.00"), at)
        assert extra == Money.zero(RUB) and meter.hourly == rub("1.00")

    def test_after_the_prepaid_period_there_is_nothing_extra(self) -> None:
        at = self.start + dt.timedelta(hours=2)
        _, extra = self.prepaid().grown_within_prepaid(rub("5.00"), rub("3650.00"), at)
        assert extra == Money.zero(RUB)

    def test_the_discount_in_force_applies_to_the_difference(self) -> None:
        terms = DiscountTerms(percent=20, until=None)
        at = self.start + dt.timedelta(minutes=15)
        _, extra = self.prepaid(terms).grown_within_prepaid(rub("5.00"), rub("3650.00"), at)
        assert extra == rub("1.20")  # 1.50 less 20 %
