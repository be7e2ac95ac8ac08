"""Monitoring on PostgreSQL: the latest figures, alert states, and the metrics history.

A monitoring pass writes its samples with one COPY into the day-partitioned `server_metrics`, and
each server's latest figures and counters with one statement each. Partitions are days; the one a
pass writes into is made on the spot if the metrics tick has not made it yet, under an advisory
lock so that two schedulers never race to make the same one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from psycopg import sql

from adapters.postgres.rows import structure, unstructure
from adapters.postgres.session import Db, translated
from domain.model.alerts import AlertState, Metric
from domain.model.metrics import ROLLUP_SECONDS, Counters, MetricSample
from ports.metrics import StatsSample

_FIGURES = ("cpu", "memory", "disk", "net_in", "net_out", "disk_read", "disk_write")
_PARTITIONED = ("server_metrics", "server_metrics_5m")
_PARTITION_LOCK = 0x6D657472  # "metr": one maker of partitions at a time, across processes
DAYS_AHEAD = 2


def _day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(dt.UTC).date()


def _partition(table: str, day: dt.date) -> str:
    return f"{table}_{day:%Y%m%d}"


class PostgresMetricsRepository:
    def __init__(self, db: Db) -> None:
        self._db = db

    # --- latest figures and alert states ---------------------------------------------------------
    def latest(self, server_id: int) -> StatsSample | None:
        with translated(), self._db.conn.cursor() as cur:
            cur.execute(
                f"SELECT at, {', '.join(_FIGURES)}, 1 FROM server_metrics"
                " WHERE server_id = %s ORDER BY at DESC LIMIT 1",
                (server_id,),
            )
            row = cur.fetchone()
        return StatsSample.of(_sample(server_id, row)) if row else None

    def alert_state(self, server_id: int, metric: Metric) -> AlertState:
        row = self._db.row(
            "SELECT * FROM alert_states WHERE server_id = %s AND metric = %s",
            (server_id, metric.value),
        )
        return structure(row, AlertState) if row else AlertState(server_id, metric)

    def save_alert_state(self, state: AlertState) -> None:
        self._db.run(
            "INSERT INTO alert_states (server_id, metric, active, since, mailed_at)"
            " VALUES (%(server_id)s, %(metric)s, %(active)s, %(since)s, %(mailed_at)s)"
            " ON CONFLICT (server_id, metric) DO UPDATE SET active = EXCLUDED.active,"
            " since = EXCLUDED.since, mailed_at = EXCLUDED.mailed_at",
            unstructure(state),
        )

    def alert_states(self) -> dict[tuple[int, Metric], AlertState]:
        rows = self._db.rows("SELECT * FROM alert_states")
        states = (structure(row, AlertState) for row in rows)
        return {(s.server_id, s.metric): s for s in states}

    # --- the history ----------------------------------------------------------------------------
    def counters(self) -> dict[int, Counters]:
        rows = self._db.rows("SELECT * FROM server_counters")
        return {row.pop("server_id"): structure(row, Counters) for row in rows}

    def record_pass(self, samples: list[MetricSample], counters: dict[int, Counters]) -> None:
        if not samples:
            return
        for day in sorted({_day(s.at) for s in samples}):
            self._ensure_partitions(day, day)
        columns = ("server_id", "at", *_FIGURES)
        with translated(), self._db.conn.cursor() as cur:
            with cur.copy(f"COPY server_metrics ({', '.join(columns)}) FROM STDIN") as copy:
                for s in samples:
                    copy.write_row((s.server_id, s.at, *(getattr(s, f) for f in _FIGURES)))
            # Each server's counters, in one statement from arrays: the next pass's rates.
            ids = sorted(counters)
            cur.execute(
                "INSERT INTO server_counters AS c"
                " (server_id, at, net_in, net_out, disk_read, disk_write)"
                " SELECT * FROM unnest(%s::bigint[], %s::timestamptz[], %s::bigint[],"
                " %s::bigint[], %s::bigint[], %s::bigint[])"
                " ON CONFLICT (server_id) DO UPDATE SET at = EXCLUDED.at,"
                " net_in = EXCLUDED.net_in, net_out = EXCLUDED.net_out,"
                " disk_read = EXCLUDED.disk_read, disk_write = EXCLUDED.disk_write"
                " WHERE EXCLUDED.at >= c.at",
                (
                    ids,
                    [counters[i].at for i in ids],
                    [counters[i].net_in for i in ids],
                    [counters[i].net_out for i in ids],
                    [counters[i].disk_read for i in ids],
                    [counters[i].disk_write for i in ids],
                ),
            )

    def history(
        self,
        server_id: int,
        start: dt.datetime,
        end: dt.datetime,
        *,
        rollups: bool,
        step: int | None = None,
    ) -> list[MetricSample]:
        """With `rollups`: the rolled-up buckets as far as upkeep has rolled them, then the raw
        samples after that (the last minutes are not rolled up yet). With `step`, rows of one
        bucket come pre-summed as one (weighted by their samples, as `points` weighs them), so a
        month at an hour's step reads 720 rows rather than 8,640."""
        rolled_until = start
        found: list[MetricSample] = []
        if rollups:
            watermark = self._db.scalar("SELECT rolled_until FROM metrics_rollup_watermark")
            rolled_until = max(start, min(watermark or start, end))
            found += self._read(
                "server_metrics_5m", "samples", server_id, start, rolled_until, step
            )
        found += self._read("server_metrics", "1", server_id, rolled_until, end, step)
        return found

    def _read(
        self,
        table: str,
        weight: str,
        server_id: int,
        start: dt.datetime,
        end: dt.datetime,
        step: int | None,
    ) -> list[MetricSample]:
        if step is None:
            figures, at, group = ", ".join(_FIGURES), "at", ""
            samples = weight
        else:
            figures = ", ".join(f"sum({f} * {weight}) / sum({weight})" for f in _FIGURES)
            at = "to_timestamp(floor(extract(epoch FROM at) / %(step)s) * %(step)s)"
            group, samples = " GROUP BY 1", f"sum({weight})::int"
        query = (
            f"SELECT {at}, {figures}, {samples} FROM {table}"  # table and columns are ours
            " WHERE server_id = %(server)s AND at >= %(start)s AND at < %(end)s"
            f"{group} ORDER BY 1"
        )
        params = {"server": server_id, "start": start, "end": end, "step": step}
        with translated(), self._db.conn.cursor() as cur:
            cur.execute(query, params)
            return [_sample(server_id, row) for row in cur]

    # --- upkeep -------------------------------------------------------------------------------
    def maintain(self, now: dt.datetime, raw_days: int, rollup_days: int) -> dict[str, int]:
        today = _day(now)
        made = self._ensure_partitions(
            today - dt.timedelta(days=1), today + dt.timedelta(DAYS_AHEAD)
        )
        rolled = self._roll_up(now)
        dropped = self._drop_before("server_metrics", today - dt.timedelta(days=raw_days))
        dropped += self._drop_before("server_metrics_5m", today - dt.timedelta(days=rollup_days))
        return {"partitions_made": made, "buckets_rolled": rolled, "partitions_dropped": dropped}

    def _ensure_partitions(self, first: dt.date, last: dt.date) -> int:
        """Every day's partition of both tables from `first` to `last`; how many were new."""
        days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
        wanted = {_partition(t, d): (t, d) for t in _PARTITIONED for d in days}
        existing = {
            row["relname"]
            for row in self._db.rows(
                "SELECT relname FROM pg_class WHERE relname = ANY(%s)", (list(wanted),)
            )
        }
        missing = [name for name in wanted if name not in existing]
        if not missing:
            return 0
        self._db.run("SELECT pg_advisory_xact_lock(%s)", (_PARTITION_LOCK,))
        for name in missing:
            table, day = wanted[name]
            self._db.run(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} PARTITION OF {} FOR VALUES FROM ({}) TO ({})"
                ).format(
                    sql.Identifier(name),
                    sql.Identifier(table),
                    sql.Literal(day.isoformat()),
                    sql.Literal((day + dt.timedelta(days=1)).isoformat()),
                )
            )
        return len(missing)

    def _drop_before(self, table: str, first_kept: dt.date) -> int:
        rows = self._db.rows(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s",
            (table,),
        )
        old = [
            row["relname"]
            for row in rows
            if row["relname"][-8:].isdigit()
            and dt.datetime.strptime(row["relname"][-8:], "%Y%m%d").date() < first_kept
        ]
        for name in old:
            self._db.run(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(name)))
        return len(old)

    def _roll_up(self, now: dt.datetime) -> int:
        """Roll every ended 5-minute bucket since the watermark into `server_metrics_5m`."""
        step = ROLLUP_SECONDS
        until = dt.datetime.fromtimestamp(int(now.timestamp()) // step * step, dt.UTC)
        since = self._db.scalar(
            "SELECT rolled_until FROM metrics_rollup_watermark FOR UPDATE"
        ) or self._db.scalar("SELECT min(at) FROM server_metrics")
        if since is None or since >= until:
            return 0
        self._ensure_partitions(_day(since), _day(until))
        figures = ", ".join(f"avg({f})" for f in _FIGURES)
        rolled = self._db.run(
            "INSERT INTO server_metrics_5m (server_id, at, samples, cpu, memory, disk,"
            " net_in, net_out, disk_read, disk_write)"
            " SELECT server_id, to_timestamp(floor(extract(epoch FROM at) / %(step)s) * %(step)s),"
            f" count(*), {figures} FROM server_metrics"
            " WHERE at >= %(since)s AND at < %(until)s GROUP BY 1, 2"
            " ON CONFLICT (server_id, at) DO NOTHING",
            {"step": step, "since": since, "until": until},
        )
        self._db.run(
            "INSERT INTO metrics_rollup_watermark (singleton, rolled_until) VALUES (true, %s)"
            " ON CONFLICT (singleton) DO UPDATE SET rolled_until = EXCLUDED.rolled_until",
            (until,),
        )
        return rolled


def _sample(server_id: int, row: tuple[Any, ...]) -> MetricSample:
    at, cpu, memory, disk, net_in, net_out, disk_read, disk_write, samples = row
    return MetricSample(
        server_id,
        at.astimezone(dt.UTC),
        cpu,
        memory,
        disk,
        net_in,
        net_out,
        disk_read,
        disk_write,
        samples=samples,
    )
