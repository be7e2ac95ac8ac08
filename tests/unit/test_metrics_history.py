"""Rates from counters, the range of a history read, and points averaged per bucket."""

from __future__ import annotations

import datetime as dt

import pytest

from domain.model.errors import RuleViolation
from domain.model.metrics import (
    MAX_POINTS,
    Counters,
    MetricSample,
    history_range,
    points,
    rates,
)

T0 = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)


def test_rates_are_bytes_per_second_since_the_previous_pass() -> None:
    before = Counters(T0, 1_000, 2_000, 3_000, 4_000)
    after = Counters(T0 + dt.timedelta(seconds=30), 31_000, 2_000, 6_000, 4_300)
    assert rates(before, after) == (1000.0, 0.0, 100.0, 10.0)


def test_a_reboot_resets_a_counter_to_a_zero_rate_never_a_negative_one() -> None:
    before = Counters(T0, 50_000, 50_000, 50_000, 50_000)
    after = Counters(T0 + dt.timedelta(seconds=10), 100, 60_000, 0, 50_000)
    assert rates(before, after) == (0.0, 1000.0, 0.0, 0.0)


def test_no_previous_pass_or_no_time_between_gives_zeros() -> None:
    now = Counters(T0, 5, 5, 5, 5)
    assert rates(None, now) == (0.0, 0.0, 0.0, 0.0)
    assert rates(now, now) == (0.0, 0.0, 0.0, 0.0)


@pytest.mark.parametrize(
    ("span", "step"),
    [
        (dt.timedelta(hours=1), 30),
        (dt.timedelta(hours=12), 60),
        (dt.timedelta(days=3), 300),
        (dt.timedelta(days=30), 3600),
        (dt.timedelta(days=90), 21600),
    ],
)
def test_the_step_chosen_is_the_first_standard_one_within_the_point_cap(
    span: dt.timedelta, step: int
) -> None:
    window = history_range(T0 - span, T0, None)
    assert window.step == step and span.total_seconds() / step <= MAX_POINTS


def test_a_given_step_that_would_exceed_the_cap_is_refused_with_the_least_that_fits() -> None:
    with pytest.raises(RuleViolation) as refused:
        history_range(T0 - dt.timedelta(days=1), T0, 60)
    assert refused.value.field == "step" and refused.value.details["minimum"] == 87


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (T0, T0, "to"),
        (T0, T0 - dt.timedelta(seconds=1), "to"),
        (T0 - dt.timedelta(days=91), T0, "from"),
    ],
)
def test_a_range_backwards_or_beyond_retention_is_refused(
    start: dt.datetime, end: dt.datetime, field: str
) -> None:
    with pytest.raises(RuleViolation) as refused:
        history_range(start, end, None)
    assert refused.value.field == field


def test_rollups_are_read_when_the_step_is_a_multiple_of_five_minutes() -> None:
    assert history_range(T0 - dt.timedelta(days=3), T0, 600).from_rollups
    assert not history_range(T0 - dt.timedelta(hours=1), T0, 60).from_rollups


def sample(at: dt.datetime, cpu: float, samples: int = 1) -> MetricSample:
    return MetricSample(1, at, cpu, 50.0, 10.0, 100.0, 0.0, 0.0, 0.0, samples=samples)


def test_points_average_each_bucket_weighted_by_samples_and_skip_empty_ones() -> None:
    window = history_range(T0, T0 + dt.timedelta(minutes=30), 600)
    rows = [
        sample(T0, 10.0, samples=1),
        sample(T0 + dt.timedelta(minutes=5), 40.0, samples=3),  # same 10-minute bucket
        sample(T0 + dt.timedelta(minutes=25), 80.0),
        sample(T0 + dt.timedelta(minutes=30), 99.0),  # at `to`: outside the half-open range
    ]
    found = points(rows, window)
    assert [(p.at, p.cpu) for p in found] == [
        (T0, 32.5),
        (T0 + dt.timedelta(minutes=20), 80.0),
    ]
    assert all(p.memory == 50.0 and p.net_in == 100 for p in found)
