"""A pending rate: new prices that wait for the next calendar month (a rebuild onto another
licence), taken up by `bill` at the month's first second, composed by later changes in the month."""

from __future__ import annotations

import datetime as dt

from domain.model.metering import Meter, PendingRate, UsageSegment, bill
from domain.model.money import Money
from domain.model.promo import NO_DISCOUNT

from .factories import at, rub

LINUX_HOURLY, LINUX_CAP = rub("1.00"), rub("730.00")
WINDOWS_HOURLY, WINDOWS_CAP = rub("2.50"), rub("1825.00")  # 1.50 an hour of licence on top


def linux(start: dt.datetime) -> Meter:
    return Meter.start(LINUX_HOURLY, LINUX_CAP, NO_DISCOUNT, start)


def spans(segments: list[UsageSegment]) -> list[tuple[dt.datetime, dt.datetime, Money]]:
    return [(s.start, s.end, s.list_amount) for s in segments]


class TestTakenUpNextMonth:
    def test_the_rest_of_the_month_is_at_the_old_rate_and_the_next_at_the_new(self) -> None:
        m, _ = bill(linux(at(2026, 1, 10)), at(2026, 1, 31, 22))
        m = m.from_next_month(WINDOWS_HOURLY, WINDOWS_CAP, at(2026, 1, 31, 22))
        assert m.pending == PendingRate(WINDOWS_HOURLY, WINDOWS_CAP, at(2026, 2, 1))
        assert (m.hourly, m.monthly_cap) == (LINUX_HOURLY, LINUX_CAP)

        m, segments = bill(m, at(2026, 2, 1, 2))

        assert spans(segments) == [
            (at(2026, 1, 31, 22), at(2026, 2, 1), rub("2.00")),  # two hours at 1.00
            (at(2026, 2, 1), at(2026, 2, 1, 2), rub("5.00")),  # two hours at 2.50
        ]
        assert (m.hourly, m.monthly_cap, m.pending) == (WINDOWS_HOURLY, WINDOWS_CAP, None)

    def test_a_run_before_the_month_ends_keeps_the_old_rate_and_the_pending_one(self) -> None:
        m = linux(at(2026, 1, 10)).from_next_month(WINDOWS_HOURLY, WINDOWS_CAP, at(2026, 1, 10))
        m, segments = bill(m, at(2026, 1, 10, 4))
        assert spans(segments) == [(at(2026, 1, 10), at(2026, 1, 10, 4), rub("4.00"))]
        assert m.hourly == LINUX_HOURLY and m.pending is not None

    def test_a_run_months_later_bills_each_month_at_its_rate_and_the_new_cap(self) -> None:
        m = linux(at(2026, 1, 20)).from_next_month(WINDOWS_HOURLY, WINDOWS_CAP, at(2026, 1, 20))

        m, segments = bill(m, at(2026, 4, 1, 1))

        assert spans(segments) == [
            (at(2026, 1, 20), at(2026, 2, 1), rub("288.00")),  # 288 h at 1.00, under 730.00
            (at(2026, 2, 1), at(2026, 3, 1), rub("1680.00")),  # 672 h at 2.50, under 1825.00
            (at(2026, 3, 1), at(2026, 4, 1), rub("1825.00")),  # 744 h would be 1860.00: capped
            (at(2026, 4, 1), at(2026, 4, 1, 1), rub("2.50")),
        ]
        assert m.pending is None

    def test_a_watermark_already_in_the_new_month_bills_it_at_the_new_rate(self) -> None:
        # The prepaid first hour reaches past midnight: nothing of February is left at the old rate.
        m = linux(at(2026, 1, 31, 23, 30)).prepaid(3600, LINUX_HOURLY)
        m = m.from_next_month(WINDOWS_HOURLY, WINDOWS_CAP, at(2026, 1, 31, 23, 40))
        _, segments = bill(m, at(2026, 2, 1, 1, 30))
        assert spans(segments) == [(at(2026, 2, 1, 0, 30), at(2026, 2, 1, 1, 30), rub("2.50"))]


class TestComposition:
    def test_rates_equal_to_the_current_ones_leave_nothing_pending(self) -> None:
        m = linux(at(2026, 1, 10)).from_next_month(WINDOWS_HOURLY, WINDOWS_CAP, at(2026, 1, 10))
        assert m.next_rates == (WINDOWS_HOURLY, WINDOWS_CAP)
        m = m.from_next_month(LINUX_HOURLY, LINUX_CAP, at(2026, 1, 20))
        assert m.pending is None and m.next_rates == (LINUX_HOURLY, LINUX_CAP)

    def test_a_later_change_replaces_the_pending_one_from_its_own_next_month(self) -> None:
        m = linux(at(2026, 1, 10)).from_next_month(WINDOWS_HOURLY, WINDOWS_CAP, at(2026, 1, 10))
        m = m.from_next_month(rub("3.00"), rub("2190.00"), at(2026, 1, 25))
        assert m.pending == PendingRate(rub("3.00"), rub("2190.00"), at(2026, 2, 1))

    def test_a_pending_rate_whose_month_the_watermark_reached_is_current_before_the_next(
        self,
    ) -> None:
        m = linux(at(2026, 1, 31, 23, 30)).prepaid(3600, LINUX_HOURLY)  # paid to 00:30
        m = m.from_next_month(WINDOWS_HOURLY, WINDOWS_CAP, at(2026, 1, 31, 23, 40))
        # Back to Linux at 00:10 on the 1st, before any run billed February: February is the
        # first rebuild's next month and has Windows' rate; Linux waits for March.
        m = m.from_next_month(LINUX_HOURLY, LINUX_CAP, at(2026, 2, 1, 0, 10))
        assert (m.hourly, m.pending) == (
            WINDOWS_HOURLY,
            PendingRate(LINUX_HOURLY, LINUX_CAP, at(2026, 3, 1)),
        )


class TestResizeWithAPendingLicence:
    """A resize prices the server with the image it runs now, whose licence the meter has not
    taken up yet: the licence change keeps its month, the new size starts at the resize."""

    def test_the_month_goes_on_without_the_licence_and_the_next_has_both(self) -> None:
        m, _ = bill(linux(at(2026, 1, 1)), at(2026, 1, 10))
        m = m.from_next_month(WINDOWS_HOURLY, WINDOWS_CAP, at(2026, 1, 10))
        # Twice the size, priced with Windows: 2 x 1.00 + 1.50 an hour, 1460.00 + 1095.00 a month.
        m = m.rerated(rub("3.50"), rub("2555.00"))

        assert (m.hourly, m.monthly_cap) == (rub("2.00"), rub("1460.00"))
        assert m.pending == PendingRate(rub("3.50"), rub("2555.00"), at(2026, 2, 1))
        m, segments = bill(m, at(2026, 2, 1, 1))
        assert [s.list_amount for s in segments] == [
            rub("1056.00"),  # the 528 h left of January at 2.00
            rub("3.50"),  # February with the licence
        ]

    def test_from_windows_to_linux_the_licence_is_billed_to_the_month_end(self) -> None:
        windows = Meter.start(WINDOWS_HOURLY, WINDOWS_CAP, NO_DISCOUNT, at(2026, 1, 10))
        m = windows.from_next_month(LINUX_HOURLY, LINUX_CAP, at(2026, 1, 10))
        m = m.rerated(rub("2.00"), rub("1460.00"))  # twice the size, priced with Linux
        assert (m.hourly, m.monthly_cap) == (rub("3.50"), rub("2555.00"))
        assert m.pending == PendingRate(rub("2.00"), rub("1460.00"), at(2026, 2, 1))

    def test_growth_within_the_prepaid_period_is_priced_without_the_pending_licence(self) -> None:
        m = linux(at(2026, 1, 10)).prepaid(3600, LINUX_HOURLY)
        m = m.from_next_month(WINDOWS_HOURLY, WINDOWS_CAP, at(2026, 1, 10))
        _, extra = m.grown_within_prepaid(rub("3.50"), rub("2555.00"), at(2026, 1, 10, 0, 30))
        assert extra == rub("0.50")  # half an hour of 1.00 more, no licence yet

    def test_without_a_pending_rate_a_resize_is_as_before(self) -> None:
        m = linux(at(2026, 1, 10)).rerated(rub("2.00"), rub("1460.00"))
        assert (m.hourly, m.monthly_cap, m.pending) == (rub("2.00"), rub("1460.00"), None)
        assert m.cap_left == rub("1460.00")
