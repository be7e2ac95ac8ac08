"""The slow path's interval under a sustained attack: doubling, capped, never a lock."""

from __future__ import annotations

import datetime as dt

from domain.model.throttle import LoginLimits


def test_the_slow_interval_doubles_every_ten_failures_past_the_threshold_up_to_a_minute():
    limits = LoginLimits()
    seconds = [limits.slow_interval(f).total_seconds() for f in (100, 109, 110, 130, 150, 10**6)]

    assert seconds == [1, 1, 2, 8, 32, 60]
    assert limits.slow_interval(10**9) == dt.timedelta(minutes=1)
