"""Metering: a server is billed per second of existence, capped per calendar month.

Billing works from a stored watermark (`billed_until`). Each run bills [billed_until, now), split at
month boundaries and at the end of a discount, and moves the watermark in the same unit of work as
the charge. A missed run therefore loses nothing (the next one bills the whole gap) and a repeated
run charges nothing twice (the interval is already behind the watermark).

Within a month the list charge is computed cumulatively from the month's billed seconds, so rounding
never accumulates: after any sequence of runs the month costs exactly list_charge(total seconds).

A resize re-rates from its moment. A rebuild onto an image with another licence (Windows) does
not: the calendar month is the billing period, so the new price waits on the meter as a pending
rate, effective from the start of the next month, and `bill` takes it up at the first second of
that month. Until then the server costs what it cost before the rebuild.
"""

from __future__ import annotations

import datetime as dt

import attrs

from domain.model.money import Money, Rounding
from domain.model.pricing import SECONDS_PER_HOUR, list_charge
from domain.model.promo import DiscountTerms


def month_start(moment: dt.datetime) -> dt.datetime:
    return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def next_month(moment: dt.datetime) -> dt.datetime:
    start = month_start(moment)
    return (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )


@attrs.frozen
class PendingRate:
    """Rates the meter takes up at `starts`, the first moment of a calendar month."""

    hourly: Money
    monthly_cap: Money
    starts: dt.datetime


@attrs.frozen
class Meter:
    """The billing state a server carries."""

    hourly: Money
    monthly_cap: Money
    terms: DiscountTerms
    billed_until: dt.datetime
    month: dt.datetime  # start of the month the counters below belong to
    month_seconds: int = 0
    month_list_micro: int = 0  # list price billed this month at the current rates (before discount)
    month_carried_micro: int = 0  # list price billed this month at earlier rates (before a resize)
    # The month's discounted list price and the discount given on it, kept cumulatively for the same
    # reason as the list price: the discount must not depend on how many runs billed the month.
    month_discounted_list_micro: int = 0
    month_discount_micro: int = 0
    pending: PendingRate | None = None  # a licence change waiting for its month

    @classmethod
    def start(
        cls, hourly: Money, monthly_cap: Money, terms: DiscountTerms, at: dt.datetime
    ) -> Meter:
        return cls(hourly, monthly_cap, terms, billed_until=at, month=month_start(at))

    def prepaid(self, seconds: int, list_amount: Money) -> Meter:
        """Record the first period, paid up front by the captured hold."""
        return attrs.evolve(
            self,
            billed_until=self.billed_until + dt.timedelta(seconds=seconds),
            month_seconds=self.month_seconds + seconds,
            month_list_micro=self.month_list_micro + list_amount.micro,
        )

    def resumed(self, at: dt.datetime) -> Meter:
        """Billing starts again at `at` after a pause: the paused time is skipped, never billed.
        A watermark still ahead (a prepaid period not yet used up) stays where it is."""
        return attrs.evolve(self, billed_until=max(self.billed_until, at))

    @property
    def next_rates(self) -> tuple[Money, Money]:
        """The hourly rate and monthly cap the next billing period starts with."""
        if self.pending is not None:
            return self.pending.hourly, self.pending.monthly_cap
        return self.hourly, self.monthly_cap

    def from_next_month(self, hourly: Money, monthly_cap: Money, at: dt.datetime) -> Meter:
        """These rates from the start of the month after `at`, in place of any pending ones; rates
        equal to the current ones leave nothing pending (a change undone within the month)."""
        meter = self.due_rate_taken(self.billed_until)
        if (hourly, monthly_cap) == (meter.hourly, meter.monthly_cap):
            return attrs.evolve(meter, pending=None)
        return attrs.evolve(meter, pending=PendingRate(hourly, monthly_cap, next_month(at)))

    def due_rate_taken(self, moment: dt.datetime) -> Meter:
        """The pending rate made current once `moment` has reached its month: every second from its
        start on is billed at it. The watermark may already be past that start when no run has
        billed the new month yet (a prepaid period reaching into it), hence not only in `bill`."""
        pending = self.pending
        if pending is None or moment < pending.starts:
            return self
        return attrs.evolve(
            self, hourly=pending.hourly, monthly_cap=pending.monthly_cap, pending=None
        )

    def rerated(self, hourly: Money, monthly_cap: Money) -> Meter:
        """New rates from the watermark on. What the month already cost counts against the new cap,
        so a resize can never make one calendar month cost more than its (new) monthly price.

        The rates are the server's at its current image. A licence change still pending (a rebuild
        this month) keeps its date rather than coming forward with the resize: the rest of this
        month goes without it (the rates less the change) and the next month starts at the rates
        given. The change is the difference the rebuild recorded, so it applies to any size."""
        meter = self.due_rate_taken(self.billed_until)
        pending = meter.pending
        if pending is not None:
            hourly_change = pending.hourly - meter.hourly
            cap_change = pending.monthly_cap - meter.monthly_cap
            pending = PendingRate(hourly, monthly_cap, pending.starts)
            zero = Money.zero(hourly.currency)
            hourly = (hourly - hourly_change).max(zero)
            monthly_cap = (monthly_cap - cap_change).max(zero)
        return attrs.evolve(
            meter,
            hourly=hourly,
            monthly_cap=monthly_cap,
            pending=pending,
            month_seconds=0,
            month_list_micro=0,
            month_carried_micro=meter.month_carried_micro + meter.month_list_micro,
        )

    def grown_within_prepaid(
        self, hourly: Money, monthly_cap: Money, at: dt.datetime
    ) -> tuple[Meter, Money]:
        """Re-rate at `at`, which may lie inside the period paid up front (the watermark is ahead).

        That period was paid at the old rates. A bigger server costs the difference for what is
        left of it, returned here to be charged now (after the discount in force, and within the
        month's cap); a smaller one gets nothing back for a period it chose to pay for."""
        rerated = self.rerated(hourly, monthly_cap)
        remaining = max((self.billed_until - at) // dt.timedelta(seconds=1), 0)
        if not remaining or rerated.hourly <= self.hourly:
            return rerated, Money.zero(hourly.currency)
        extra = (rerated.hourly - self.hourly).scale(remaining, SECONDS_PER_HOUR, Rounding.HALF_UP)
        extra = extra.min(rerated.cap_left)
        rerated = attrs.evolve(
            rerated, month_carried_micro=rerated.month_carried_micro + extra.micro
        )
        return rerated, extra - self.terms.off(extra, self.terms.percent_at(at))

    @property
    def cap_left(self) -> Money:
        """What the rest of the month may still cost at list price, under the current rates."""
        return Money(
            max(self.monthly_cap.micro - self.month_carried_micro, 0), self.monthly_cap.currency
        )


@attrs.frozen
class UsageSegment:
    start: dt.datetime
    end: dt.datetime
    list_amount: Money
    discount: Money

    @property
    def charge(self) -> Money:
        return self.list_amount - self.discount


def bill(meter: Meter, until: dt.datetime) -> tuple[Meter, list[UsageSegment]]:
    """Advance the meter to `until`; the segments say what to charge. Idempotent by construction."""
    segments: list[UsageSegment] = []
    while meter.billed_until < until:
        start = meter.billed_until
        if month_start(start) != meter.month:
            meter = attrs.evolve(
                meter,
                month=month_start(start),
                month_seconds=0,
                month_list_micro=0,
                month_carried_micro=0,
                month_discounted_list_micro=0,
                month_discount_micro=0,
            )
        meter = meter.due_rate_taken(start)  # a month's first segment starts at its pending rate
        end = min(until, next_month(start))
        if meter.terms.until is not None and start < meter.terms.until < end:
            end = meter.terms.until  # the discount stops mid-segment
        seconds = (end - start) // dt.timedelta(seconds=1)
        if seconds <= 0:
            if end < until:
                # A sliver under a second before a month end or a discount end (the watermark keeps
                # the sub-second part of the moment billing started): step over it unbilled, or
                # every later run would stop right here and the server would never be billed again.
                meter = attrs.evolve(meter, billed_until=end)
                continue
            break  # a sub-second remainder before `until` waits for the next run
        end = start + dt.timedelta(seconds=seconds)
        total = list_charge(meter.hourly, meter.cap_left, meter.month_seconds + seconds)
        currency = meter.hourly.currency
        list_amount = Money(total.micro - meter.month_list_micro, currency)
        discounted_list = meter.month_discounted_list_micro
        discount_total = meter.month_discount_micro
        percent = meter.terms.percent_at(start)
        if percent:
            discounted_list += list_amount.micro
            discount_total = meter.terms.off(Money(discounted_list, currency), percent).micro
        discount = Money(discount_total - meter.month_discount_micro, currency)
        segments.append(UsageSegment(start, end, list_amount, discount))
        meter = attrs.evolve(
            meter,
            billed_until=end,
            month_seconds=meter.month_seconds + seconds,
            month_list_micro=total.micro,
            month_discounted_list_micro=discounted_list,
            month_discount_micro=discount_total,
        )
    return meter, segments
