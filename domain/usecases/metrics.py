"""A server's metrics history, and the upkeep that keeps its storage bounded."""

from __future__ import annotations

import datetime as dt

import attrs

from domain.model.commands import MetricsQuery
from domain.model.metrics import HistoryRange, MetricPoint, history_range, points
from domain.usecases.actors import Actor
from domain.usecases.runtime import Runtime
from domain.usecases.server_access import owned_server

DEFAULT_RANGE = dt.timedelta(hours=1)


@attrs.frozen
class MetricsHistory:
    server_id: int
    window: HistoryRange
    points: list[MetricPoint]


def server_metrics(rt: Runtime, actor: Actor, query: MetricsQuery) -> MetricsHistory:
    """Points `step` seconds apart over [start, end) (the last hour up to now by default), at most
    MAX_POINTS of them, from the rollups when the step allows."""
    end = query.end or rt.clock.now()
    start = query.start or end - DEFAULT_RANGE
    window = history_range(start, end, query.step)
    with rt.uow() as uow:
        server = owned_server(uow, actor, query.server_id)
        rows = uow.metrics.history(
            server.id, start, end, rollups=window.from_rollups, step=window.step
        )
    return MetricsHistory(server.id, window, points(rows, window))


@attrs.frozen
class Upkeep:
    partitions_made: int = 0
    buckets_rolled: int = 0
    partitions_dropped: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.partitions_made or self.buckets_rolled or self.partitions_dropped)


def maintain_metrics(rt: Runtime) -> Upkeep:
    """Roll the ended 5-minute buckets up, make the coming days' storage, drop what is past its
    retention (raw samples: the policy's days; rollups: 90 days)."""
    with rt.uow() as uow:
        done = uow.metrics.maintain(
            rt.clock.now(), rt.policy.metrics_raw_days, rt.policy.metrics_rollup_days
        )
        uow.commit()
    return Upkeep(**done)
