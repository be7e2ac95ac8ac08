"""The monitoring history: samples, each server's newest figures, and alert states."""

from __future__ import annotations

import builtins
import datetime as dt
from typing import Protocol

import attrs

from domain.model.alerts import AlertState, Metric
from domain.model.metrics import Counters, MetricSample


@attrs.frozen
class StatsSample:
    """A server's newest figures, as whole percents (read from its metrics history)."""

    server_id: int
    at: dt.datetime
    cpu_percent: int
    memory_percent: int
    disk_percent: int

    @classmethod
    def of(cls, sample: MetricSample) -> StatsSample:
        return cls(
            sample.server_id,
            sample.at,
            round(sample.cpu),
            round(sample.memory),
            round(sample.disk),
        )


class MetricsRepository(Protocol):
    def latest(self, server_id: int) -> StatsSample | None:
        """The server's newest sample in its history (kept nowhere else: it is derivable)."""
        ...

    def alert_state(self, server_id: int, metric: Metric) -> AlertState: ...
    def save_alert_state(self, state: AlertState) -> None: ...

    # --- the history: one batched write per monitoring pass --------------------------------------
    def counters(self) -> dict[int, Counters]:
        """The counters every server had at its latest sample, by server id."""
        ...

    def alert_states(self) -> dict[tuple[int, Metric], AlertState]:
        """Every stored alert state (a server and metric without one is inactive)."""
        ...

    def record_pass(
        self, samples: builtins.list[MetricSample], counters: dict[int, Counters]
    ) -> None:
        """A pass's samples into the history, and each server's latest figures and counters."""
        ...

    def history(
        self,
        server_id: int,
        start: dt.datetime,
        end: dt.datetime,
        *,
        rollups: bool,
        step: int | None = None,
    ) -> builtins.list[MetricSample]:
        """Stored rows of [start, end), oldest first: 5-minute rollups when `rollups` (where the
        store keeps them; else the raw samples). With `step` a store may sum the rows of each
        `step`-second bucket into one, weighted by their samples (`points` gives the same)."""
        ...

    def maintain(self, now: dt.datetime, raw_days: int, rollup_days: int) -> dict[str, int]:
        """Roll finished 5-minute buckets up, keep storage ready ahead and drop what is older
        than its retention; returns counts of what it did."""
        ...
