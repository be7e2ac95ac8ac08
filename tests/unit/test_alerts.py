from __future__ import annotations

import datetime as dt

import pytest

from domain.model.alerts import (
    DEFAULT_RULES,
    MAIL_INTERVAL,
    AlertEvent,
    AlertRule,
    AlertState,
    Metric,
    evaluate,
    usage_percent,
)

from .factories import at

T0 = at(2025, 3, 10, 12)


def test_hysteresis_gives_one_notice_per_incident() -> None:
    rule = AlertRule(Metric.CPU)  # raise above 90, clear below 80
    state = AlertState(server_id=7, metric=Metric.CPU)
    samples = [85, 90, 91, 95, 92, 85, 81, 80, 79, 85, 91]
    events = []
    for n, sample in enumerate(samples):
        state, event = evaluate(rule, state, sample, T0 + dt.timedelta(seconds=30 * n))
        events.append(event)
    r, c = AlertEvent.RAISED, AlertEvent.CLEARED
    # 90 is not above 90; 80 is not below 80
    assert events == [None, None, r, None, None, None, None, None, c, None, r]
    assert state.active and state.since == T0 + dt.timedelta(seconds=300)


def test_clearing_records_when() -> None:
    rule = AlertRule(Metric.DISK, raise_at=95, clear_below=50)
    state, _ = evaluate(rule, AlertState(7, Metric.DISK), 96, T0)
    assert (state.active, state.since) == (True, T0)
    state, event = evaluate(rule, state, 60, T0 + dt.timedelta(minutes=1))
    assert (state.active, event) == (True, None)
    state, event = evaluate(rule, state, 49, T0 + dt.timedelta(minutes=2))
    assert (state.active, state.since, event) == (
        False,
        T0 + dt.timedelta(minutes=2),
        AlertEvent.CLEARED,
    )


@pytest.mark.parametrize(("raise_at", "clear_below"), [(90, 90), (80, 90), (101, 80), (90, -1)])
def test_rule_clears_strictly_below_its_raise_level(raise_at: int, clear_below: int) -> None:
    with pytest.raises(ValueError):
        AlertRule(Metric.CPU, raise_at=raise_at, clear_below=clear_below)


def test_default_rules_watch_cpu_memory_and_disk_at_90() -> None:
    assert {(r.metric, r.raise_at, r.clear_below) for r in DEFAULT_RULES} == {
        (Metric.CPU, 90, 80),
        (Metric.MEMORY, 90, 80),
        (Metric.DISK, 90, 80),
    }


@pytest.mark.parametrize(
    ("used", "maximum", "percent"), [(909, 1000, 90), (1, 3, 33), (5, 5, 100), (5, 0, 0)]
)
def test_usage_percent_rounds_down(used: int, maximum: int, percent: int) -> None:
    assert usage_percent(used, maximum) == percent


def test_a_metric_mails_at_most_once_an_hour() -> None:
    state = AlertState(1, Metric.CPU)
    now = at(2025, 3, 10, 12)
    assert state.may_mail(now)
    mailed = state.mailed(now)
    assert not mailed.may_mail(now + MAIL_INTERVAL - dt.timedelta(seconds=1))
    assert mailed.may_mail(now + MAIL_INTERVAL)
    assert dt.timedelta(hours=1) == MAIL_INTERVAL
