"""`hostprovider scheduler`: the procrastinate worker plus the periodic ticks, on PostgreSQL.

Any number of these may run, on any machines: jobs are claimed with SKIP LOCKED, jobs sharing a
lock (`server:<id>`) run one at a time and in order, and each periodic tick is deferred once across
all of them (the database's unique key on task, periodic id and tick time). The process owns its
asyncio loop and sizes the loop's default executor to the concurrency, since the tasks are plain
blocking functions run in that executor. SIGTERM (or SIGINT) stops it gracefully: no new jobs, the
running ones finish; a second signal stops at once.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import socket
from concurrent.futures import ThreadPoolExecutor

import attrs
from procrastinate import App

from adapters.jobs.procrastinate_queue import (
    DEFAULT_QUEUE,
    PERIODIC_QUEUE,
    register_periodic,
    register_stalled_recovery,
    register_tasks,
    worker_app,
)
from domain.usecases.runtime import Runtime
from entrypoints import logs, metrics
from entrypoints.config import ConfigError, Settings
from entrypoints.database import check_database
from entrypoints.scheduler.ticks import TICKS, Tick
from entrypoints.tasks import bound_tasks

log = logging.getLogger("hostprovider.scheduler")


def cron_for(every_seconds: int) -> str:
    """A croniter expression; procrastinate reads a 6th field as seconds (it comes last)."""
    if every_seconds < 60 and 60 % every_seconds == 0:
        return f"* * * * * */{every_seconds}"
    minutes, rest = divmod(every_seconds, 60)
    if rest == 0 and 60 % minutes == 0:
        return "* * * * *" if minutes == 1 else f"*/{minutes} * * * *"
    raise ValueError(f"a tick every {every_seconds} s has no cron expression")


def _run_tick(tick: Tick, runtime: Runtime) -> object:
    return tick(runtime)


def build_app(settings: Settings, runtime: Runtime) -> App:
    """The worker's App with every task of entrypoints/tasks.py, the ticks and stalled recovery."""
    if settings.database_url is None:
        raise ConfigError("HOSTPROVIDER_DATABASE_URL is not set: the scheduler needs PostgreSQL")
    app = worker_app(settings.database_url, pool_size=settings.scheduler_concurrency + 2)
    register_tasks(app, bound_tasks(runtime))
    for tick in TICKS:
        run_tick = functools.partial(_run_tick, tick, runtime)
        register_periodic(app, f"tick.{tick.name}", cron_for(tick.every_seconds), run_tick)
    register_stalled_recovery(app, seconds_since_heartbeat=settings.stalled_job_seconds)
    return app


async def run_worker(
    app: App,
    *,
    concurrency: int,
    install_signal_handlers: bool = True,
    name: str = "",
    delete_jobs: str = "successful",
    stalled_seconds: float = 30,
) -> None:
    """Run the worker in the current loop until it is stopped (a signal, or cancelling the task).

    Successful jobs are deleted once done (their rows, args included, would otherwise stay for
    ever); failed ones stay for inspection."""
    loop = asyncio.get_running_loop()
    name = name or f"scheduler@{socket.gethostname()}:{os.getpid()}"
    loop.set_default_executor(ThreadPoolExecutor(concurrency, thread_name_prefix="job"))
    async with app.open_async():
        await app.run_worker_async(
            queues=[DEFAULT_QUEUE, PERIODIC_QUEUE],
            concurrency=concurrency,
            install_signal_handlers=install_signal_handlers,
            name=name,
            delete_jobs=delete_jobs,
            # Heart-beat often enough that a live worker is never taken for a stalled one.
            update_heartbeat_interval=max(1.0, stalled_seconds / 3),
            stalled_worker_timeout=stalled_seconds,
        )


def _serve_metrics(bind: str | None) -> None:
    """The scheduler's jobs and ticks on `http://BIND/metrics` (a thread of this process). One
    process: no multiprocess files, even if the API's directory is in the environment."""
    os.environ.pop(metrics.MULTIPROCESS_ENV, None)
    if bind is None:
        return
    from prometheus_client import start_http_server

    host, _, port = bind.rpartition(":")
    start_http_server(int(port), addr=host.strip("[]") or "0.0.0.0", registry=metrics.registry())
    log.info("metrics on http://%s/metrics", bind)


def scheduler(settings: Settings) -> int:
    from entrypoints.container import build

    if settings.database_url is None:
        raise ConfigError("HOSTPROVIDER_DATABASE_URL is not set: the scheduler needs PostgreSQL")
    check_database(settings)
    logs.configure("scheduler")
    _serve_metrics(settings.scheduler_metrics_bind)
    # One connection per running job, for the units of work the tasks open.
    pool_size = max(settings.db_pool_size, settings.scheduler_concurrency)
    container = build(attrs.evolve(settings, db_pool_size=pool_size))
    app = build_app(settings, container.runtime())
    try:
        asyncio.run(
            run_worker(
                app,
                concurrency=settings.scheduler_concurrency,
                stalled_seconds=settings.stalled_job_seconds,
            )
        )
    finally:
        container.pool().close()
    return 0
