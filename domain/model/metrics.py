"""Metrics history: what a monitoring pass keeps of every guest, and how a range of it is read back.

A sample holds the usage percents the alerts are judged on and the rates of the guest's counters
(bytes per second, network in/out and disk read/write) since the previous pass. The hypervisor
gives counters since boot; a rate comes from two of them, and a counter that went down (the guest
rebooted) gives 0 rather than a negative rate.

A history is read as points `step` seconds apart, each the average of the samples in its bucket,
weighted by how many raw samples a stored row stands for (a 5-minute rollup stands for ten of
them at the default interval). A range is at most `MAX_POINTS` points: without a step the
smallest standard step that fits is chosen; a given step that would exceed it is refused.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import attrs

from domain.model.errors import RuleViolation, ValidationError

MAX_POINTS = 1000
ROLLUP_SECONDS = 300  # the stored rollup's bucket: steps that are multiples of it read rollups
MIN_STEP = 1
# Steps chosen when none is asked for: the first that keeps a range within MAX_POINTS.
STANDARD_STEPS = (30, 60, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400)
MAX_RANGE = dt.timedelta(days=90)  # as long as rollups are kept
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@attrs.frozen
class Counters:
    """A guest's counters since boot, as one pass read them."""

    at: dt.datetime
    net_in: int
    net_out: int
    disk_read: int
    disk_write: int


@attrs.frozen
class MetricSample:
    server_id: int
    at: dt.datetime
    cpu: float  # percent, measurements (never money)
    memory: float
    disk: float
    net_in: float  # bytes per second
    net_out: float
    disk_read: float
    disk_write: float
    samples: int = 1  # raw samples this row stands for


@attrs.frozen
class MetricPoint:
    at: dt.datetime  # the bucket's start
    cpu: float
    memory: float
    disk: float
    net_in: float
    net_out: float
    disk_read: float
    disk_write: float


def rates(previous: Counters | None, current: Counters) -> tuple[float, float, float, float]:
    """Bytes per second of each counter since `previous`; zeros without a usable previous."""
    if previous is None or current.at <= previous.at:
        return 0.0, 0.0, 0.0, 0.0
    seconds = (current.at - previous.at).total_seconds()

    def rate(now: int, before: int) -> float:
        return max(now - before, 0) / seconds  # a reboot resets the counter: no negative rate

    return (
        rate(current.net_in, previous.net_in),
        rate(current.net_out, previous.net_out),
        rate(current.disk_read, previous.disk_read),
        rate(current.disk_write, previous.disk_write),
    )


@attrs.frozen
class HistoryRange:
    start: dt.datetime
    end: dt.datetime
    step: int

    @property
    def from_rollups(self) -> bool:
        return self.step % ROLLUP_SECONDS == 0


def history_range(start: dt.datetime, end: dt.datetime, step: int | None) -> HistoryRange:
    """The range to read, its step chosen or checked (a refusal names the field)."""
    if end <= start:
        raise RuleViolation("to", "must be after `from`")
    if end - start > MAX_RANGE:
        raise RuleViolation("from", f"is at most {MAX_RANGE.days} days before `to`")
    span = (end - start).total_seconds()
    if step is None:
        step = next((s for s in STANDARD_STEPS if span / s <= MAX_POINTS), STANDARD_STEPS[-1])
    elif step < MIN_STEP:
        raise ValidationError("step", "is at least 1 second")
    elif span / step > MAX_POINTS:
        needed = -(-int(span) // MAX_POINTS)
        raise RuleViolation(
            "step",
            f"of {step} s gives more than {MAX_POINTS} points: use at least {needed}",
            minimum=needed,
        )
    return HistoryRange(start, end, step)


def _bucket_start(at: dt.datetime, step: int) -> dt.datetime:
    seconds = int((at - EPOCH).total_seconds())
    return EPOCH + dt.timedelta(seconds=seconds - seconds % step)


def points(samples: Iterable[MetricSample], window: HistoryRange) -> list[MetricPoint]:
    """Samples in [start, end) averaged per bucket of `step` seconds, oldest first; a bucket with
    no sample has no point."""
    sums: dict[dt.datetime, list[float]] = {}
    for s in samples:
        if not window.start <= s.at < window.end:
            continue
        acc = sums.setdefault(_bucket_start(s.at, window.step), [0.0] * 8)
        weight = s.samples
        for i, value in enumerate(
            (s.cpu, s.memory, s.disk, s.net_in, s.net_out, s.disk_read, s.disk_write)
        ):
            acc[i] += value * weight
        acc[7] += weight
    found = []
    for at in sorted(sums):
        acc = sums[at]
        n = acc[7]
        found.append(
            MetricPoint(
                at,
                cpu=round(acc[0] / n, 1),
                memory=round(acc[1] / n, 1),
                disk=round(acc[2] / n, 1),
                net_in=round(acc[3] / n),
                net_out=round(acc[4] / n),
                disk_read=round(acc[5] / n),
                disk_write=round(acc[6] / n),
            )
        )
    return found
