"""The metrics history on both stores: a pass's batch, each server's counters, reading a range."""

from __future__ import annotations

import datetime as dt

from domain.model.metrics import Counters, MetricSample

from . import builders as b

T0 = b.T0


def sample(server_id: int, at: dt.datetime, cpu: float, net_in: float = 0.0) -> MetricSample:
    return MetricSample(server_id, at, cpu, 40.0, 10.0, net_in, 2.0, 3.0, 4.0)


def test_a_pass_is_stored_whole_and_read_back_in_order(uow_factory):
    first = [sample(1, T0, 10.0), sample(2, T0, 50.0)]
    second = [sample(1, T0 + dt.timedelta(seconds=30), 90.0, net_in=1200.0)]
    with uow_factory() as uow:
        uow.metrics.record_pass(first, {1: Counters(T0, 10, 20, 30, 40)})
        uow.commit()
    with uow_factory() as uow:
        later = T0 + dt.timedelta(seconds=30)
        uow.metrics.record_pass(second, {1: Counters(later, 36010, 20, 30, 40)})
        uow.commit()
    with uow_factory() as uow:
        history = uow.metrics.history(1, T0, T0 + dt.timedelta(hours=1), rollups=False)
        counters = uow.metrics.counters()
        latest = uow.metrics.latest(1)
    assert [(s.at, s.cpu, s.net_in, s.samples) for s in history] == [
        (T0, 10.0, 0.0, 1),
        (T0 + dt.timedelta(seconds=30), 90.0, 1200.0, 1),
    ]
    assert counters[1] == Counters(T0 + dt.timedelta(seconds=30), 36010, 20, 30, 40)
    assert 2 not in counters
    assert latest is not None and latest.cpu_percent == 90


def test_a_range_is_half_open_and_per_server(uow_factory):
    moments = [T0 + dt.timedelta(seconds=30 * n) for n in range(4)]
    with uow_factory() as uow:
        uow.metrics.record_pass([sample(7, at, float(n)) for n, at in enumerate(moments)], {})
        uow.metrics.record_pass([sample(8, moments[0], 99.0)], {})
        uow.commit()
    with uow_factory() as uow:
        found = uow.metrics.history(7, moments[1], moments[3], rollups=False)
    assert [s.cpu for s in found] == [1.0, 2.0]


def test_a_pass_that_rolls_back_leaves_nothing(uow_factory):
    with uow_factory() as uow:
        uow.metrics.record_pass([sample(3, T0, 5.0)], {3: Counters(T0, 1, 1, 1, 1)})
        # no commit
    with uow_factory() as uow:
        assert uow.metrics.history(3, T0, T0 + dt.timedelta(minutes=1), rollups=False) == []
        assert uow.metrics.counters() == {}


def test_rollups_average_ended_buckets_weighted_by_samples(uow_factory):
    """Ten samples 30 s apart fill one 5-minute bucket; a rollup read gives their average once
    upkeep has rolled the ended bucket (the memory store reads its raw ring instead)."""
    moments = [T0 + dt.timedelta(seconds=30 * n) for n in range(10)]
    with uow_factory() as uow:
        uow.metrics.record_pass([sample(5, at, float(n)) for n, at in enumerate(moments)], {})
        uow.commit()
    with uow_factory() as uow:
        uow.metrics.maintain(T0 + dt.timedelta(minutes=6), raw_days=7, rollup_days=90)
        uow.commit()
    with uow_factory() as uow:
        rows = uow.metrics.history(5, T0, T0 + dt.timedelta(minutes=5), rollups=True)
    total = sum(r.cpu * r.samples for r in rows)
    assert sum(r.samples for r in rows) == 10
    assert total == sum(range(10))


def test_a_store_may_sum_each_bucket_and_the_points_stay_the_same(uow_factory):
    """Reading with a step (a store may pre-sum each bucket, weighted by samples) gives the same
    points as reading every row."""
    from domain.model.metrics import history_range, points

    moments = [T0 + dt.timedelta(seconds=30 * n) for n in range(40)]
    with uow_factory() as uow:
        uow.metrics.record_pass(
            [sample(6, at, float(n % 7), net_in=float(n)) for n, at in enumerate(moments)], {}
        )
        uow.commit()
    window = history_range(T0, T0 + dt.timedelta(minutes=20), 120)
    with uow_factory() as uow:
        every_row = uow.metrics.history(6, window.start, window.end, rollups=False)
        summed = uow.metrics.history(6, window.start, window.end, rollups=False, step=120)
    expected = points(every_row, window)
    assert len(expected) == 10
    assert points(summed, window) == expected
