"""The metrics history on PostgreSQL, beside a bare COPY and a bare SELECT of the same rows.

- Write: one monitoring pass of 10,000 guests (20 nodes' worth) stored through the repository
  (`record_pass`: a COPY of the samples into the day's partition, then each server's latest
  figures and counters in one statement each), against a bare COPY of the same 10,000 rows into a
  plain table. Goal: < 0.3 s of database time for the pass.
- Read: 30 days of one server at a 1-hour step, through the use case's path (the repository
  reads the 5-minute rollups, the domain averages them into 720 points), against a bare SELECT of
  the same rollup rows. Goal: < 20 ms.

Each is timed over several rounds in one run; the medians and their ratios are printed.
Server: HOSTPROVIDER_TEST_DATABASE_URL, else postgresql://postgres@127.0.0.1:5432.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import statistics
import time
from collections.abc import Callable

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo
from psycopg_pool import ConnectionPool

from adapters.memory import InlineJobQueue
from adapters.postgres.migrate import migrate
from adapters.postgres.uow import PostgresUnitOfWorkFactory
from domain.model.metrics import Counters, MetricSample, history_range, points

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
GUESTS = 10_000
ROUNDS = 7
NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
DAYS = 30
ROLLUP = dt.timedelta(minutes=5)
COLUMNS = (
    "server_id",
    "at",
    "cpu",
    "memory",
    "disk",
    "net_in",
    "net_out",
    "disk_read",
    "disk_write",
)


def _median_ms(run: Callable[[], object], rounds: int = ROUNDS) -> float:
    taken = []
    for _ in range(rounds):
        began = time.perf_counter()
        run()
        taken.append((time.perf_counter() - began) * 1000)
    return statistics.median(taken)


def _pass(at: dt.datetime) -> tuple[list[MetricSample], dict[int, Counters]]:
    samples = [
        MetricSample(n, at, 12.0, 40.0, 10.0, 1200.0, 800.0, 4096.0, 2048.0)
        for n in range(1, GUESTS + 1)
    ]
    counters = {n: Counters(at, n * 10, n * 20, n * 30, n * 40) for n in range(1, GUESTS + 1)}
    return samples, counters


def main() -> None:
    server = os.environ.get("HOSTPROVIDER_TEST_DATABASE_URL") or DEFAULT_SERVER
    name = f"hostprovider_bench_{secrets.token_hex(4)}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = make_conninfo(server, dbname=name)
    try:
        migrate(url)
        pool = ConnectionPool(url, min_size=2, max_size=2, open=True)
        store = PostgresUnitOfWorkFactory(pool, job_queue=InlineJobQueue())
        _write(store, url)
        _read(store, url)
        pool.close()
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def _write(store: PostgresUnitOfWorkFactory, url: str) -> None:
    rounds = iter(range(1000))

    def ours() -> None:
        samples, counters = _pass(NOW + dt.timedelta(seconds=30 * next(rounds)))
        with store() as uow:
            uow.metrics.record_pass(samples, counters)
            uow.commit()

    ours()  # the day's partition made, outside the timing
    with psycopg.connect(url) as conn:
        conn.execute(
            "CREATE TABLE bare_metrics (server_id bigint, at timestamptz, cpu real, memory real,"
            " disk real, net_in real, net_out real, disk_read real, disk_write real)"
        )
        conn.commit()
        samples, _ = _pass(NOW)

        def bare() -> None:
            with (
                conn.cursor() as cur,
                cur.copy(f"COPY bare_metrics ({', '.join(COLUMNS)}) FROM STDIN") as copy,
            ):
                for s in samples:
                    copy.write_row((s.server_id, s.at, s.cpu, s.memory, s.disk, s.net_in,
                                    s.net_out, s.disk_read, s.disk_write))  # fmt: skip
            conn.commit()

        bare_ms = _median_ms(bare)
    ours_ms = _median_ms(ours)
    print(
        f"metrics write: one pass of {GUESTS} guests {ours_ms:.0f} ms (goal < 300 ms); "
        f"bare COPY of the same rows {bare_ms:.0f} ms; ratio {ours_ms / bare_ms:.2f}x"
    )


def _read(store: PostgresUnitOfWorkFactory, url: str) -> None:
    start = NOW - dt.timedelta(days=DAYS)
    buckets = [start + ROLLUP * n for n in range(int(dt.timedelta(days=DAYS) / ROLLUP))]
    with psycopg.connect(url) as conn:
        days = {b.date() for b in buckets} | {NOW.date()}
        for day in sorted(days):
            conn.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} PARTITION OF server_metrics_5m "
                    "FOR VALUES FROM ({}) TO ({})"
                ).format(  # fmt: skip
                    sql.Identifier(f"server_metrics_5m_{day:%Y%m%d}"),
                    sql.Literal(day.isoformat()),
                    sql.Literal((day + dt.timedelta(days=1)).isoformat()),
                )
            )
        with (
            conn.cursor() as cur,
            cur.copy(
                "COPY server_metrics_5m (server_id, at, samples, cpu, memory, disk, net_in,"
                " net_out, disk_read, disk_write) FROM STDIN"
            ) as copy,
        ):
            for server_id in (1, 2, 3):  # neighbours in the same table
                for b in buckets:
                    copy.write_row((server_id, b, 10, 12.0, 40.0, 10.0, 1200, 800, 4096, 2048))
        conn.execute(
            "INSERT INTO metrics_rollup_watermark (singleton, rolled_until) VALUES (true, %s)",
            (NOW,),
        )
        conn.commit()
        conn.execute("ANALYZE server_metrics_5m")
        conn.commit()
        window = history_range(start, NOW, 3600)

        def ours() -> None:
            with store() as uow:
                rows = uow.metrics.history(
                    2, start, NOW, rollups=window.from_rollups, step=window.step
                )
            assert len(points(rows, window)) == DAYS * 24

        def bare() -> None:
            found = conn.execute(
                "SELECT server_id, at, cpu, memory, disk, net_in, net_out, disk_read,"
                " disk_write, samples FROM server_metrics_5m"
                " WHERE server_id = 2 AND at >= %s AND at < %s ORDER BY at",
                (start, NOW),
            ).fetchall()
            conn.commit()
            assert len(found) == len(buckets)

        bare_ms = _median_ms(bare)
        ours_ms = _median_ms(ours)
    print(f"metrics read: {DAYS} days at a 1-hour step ({DAYS * 24} points from "
          f"{len(buckets)} rollups) {ours_ms:.1f} ms (goal < 20 ms); bare SELECT of the same "
          f"rows {bare_ms:.1f} ms; ratio {ours_ms / bare_ms:.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
