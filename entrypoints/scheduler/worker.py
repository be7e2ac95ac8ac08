"""`hostprovider scheduler`: the procrastinate worker plus the periodic ticks, on PostgreSQL.

Any number of these may run, on any machines: jobs are claimed with SKIP LOCKED, jobs sharing a
lock (`server:<id>`) run one at a time and in order, and each periodic tick is deferred once across
all of them (the database's unique key on task, periodic id and tick time). The process owns its
asyncio loop and sizes the loop's default executor to the concurrency, since the tasks are plain
blocking functions run in that executor. SIGTERM (or SIGINT) stops it gracefully: no new jobs, the
running ones finish; a second signal stops at once. Nothing else stops it: when the database goes
away the worker is run again with a backoff until it is back (see `run_worker`).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import signal
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

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
from entrypoints.mail import require_mail_decision
from entrypoints.preflight import check_shared_infrastructure
from entrypoints.scheduler.ticks import Tick, ticks
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
    return tick(runtime)  # logged as it ran: INFO when it did something, else DEBUG


def build_app(settings: Settings, runtime: Runtime) -> App:
    """The worker's App with every task of entrypoints/tasks.py, the ticks and stalled recovery."""
    if settings.database_url is None:
        raise ConfigError("HOSTPROVIDER_DATABASE_URL is not set: the scheduler needs PostgreSQL")
    app = worker_app(settings.database_url, pool_size=settings.scheduler_concurrency + 2)
    register_tasks(app, bound_tasks(runtime))
    for tick in ticks(settings.monitor_seconds):
        run_tick = functools.partial(_run_tick, tick, runtime)
        register_periodic(app, f"tick.{tick.name}", cron_for(tick.every_seconds), run_tick)
    # Looked for every 5 s, or oftener when a shorter silence already counts as stalled.
    every = max(n for n in (1, 2, 3, 5) if n <= max(1, settings.stalled_job_seconds // 3))
    register_stalled_recovery(
        app, cron=cron_for(every), seconds_since_heartbeat=settings.stalled_job_seconds
    )
    return app


@attrs.frozen
class Backoff:
    """How long to wait before running a stopped worker again: doubling from `first` to `most`."""

    first: float = 0.5
    most: float = 5.0
    healthy_after: float = 60.0  # a run at least this long starts the doubling afresh

    def delays(self) -> Iterator[float]:
        delay = self.first
        while True:
            yield delay
            delay = min(delay * 2, self.most)


async def run_worker(
    app: App,
    *,
    concurrency: int,
    install_signal_handlers: bool = True,
    name: str = "",
    delete_jobs: str = "successful",
    stalled_seconds: float = 30,
    backoff: Backoff = Backoff(),
) -> None:
    """Run the worker in the current loop until it is stopped (a signal, or cancelling the task).

    procrastinate's worker ends itself when the database goes away: its listener cannot reconnect
    and it stops "gracefully", or a query of its loop raises. Neither is a reason for a scheduler
    to exit, so the worker is run again, after a backoff, until a signal says stop: jobs, ticks
    and the heartbeat come back with the database. Successful jobs are deleted once done (their
    rows, args included, would otherwise stay for ever); failed ones stay for inspection."""
    loop = asyncio.get_running_loop()
    name = name or f"scheduler@{socket.gethostname()}:{os.getpid()}"
    loop.set_default_executor(ThreadPoolExecutor(concurrency, thread_name_prefix="job"))
    stop = asyncio.Event()
    options = {
        "queues": [DEFAULT_QUEUE, PERIODIC_QUEUE],
        "concurrency": concurrency,
        "install_signal_handlers": False,  # ours, below: they must outlive one run of the worker
        "name": name,
        "delete_jobs": delete_jobs,
        # Heart-beat often enough that a live worker is never taken for a stalled one.
        "update_heartbeat_interval": max(1.0, stalled_seconds / 3),
        "stalled_worker_timeout": stalled_seconds,
    }
    with _stop_on_signals(loop, stop) if install_signal_handlers else contextlib.nullcontext():
        delays = backoff.delays()
        while not stop.is_set():
            started = loop.time()
            failure = await _run_until_stopped(app, options, stop)
            if stop.is_set():
                return
            if loop.time() - started > backoff.healthy_after:
                delays = backoff.delays()  # it ran a good while: this is a new outage
            delay = next(delays)
            log.error("the worker stopped (%s); running it again in %.1f s", failure, delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)


async def _run_until_stopped(app: App, options: dict[str, Any], stop: asyncio.Event) -> str:
    """One run of the worker: until `stop` is set (then it finishes its running jobs) or until it
    ends by itself; what ended it, for the log."""

    async def one_run() -> None:
        async with app.open_async():
            await app.run_worker_async(**options)

    worker = asyncio.create_task(one_run(), name="worker")
    stopped = asyncio.create_task(stop.wait(), name="stop")
    try:
        await asyncio.wait({worker, stopped}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()
        if not worker.done():
            worker.cancel()  # procrastinate's graceful stop: no new jobs, the running ones finish
        results = await asyncio.gather(worker, return_exceptions=True)
    failure = results[0]
    if isinstance(failure, BaseException) and not isinstance(failure, asyncio.CancelledError):
        return f"{type(failure).__name__}: {failure}"
    return "it ended by itself"


@contextlib.contextmanager
def _stop_on_signals(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> Iterator[None]:
    """SIGTERM or SIGINT sets `stop`; a second one acts as if we had installed nothing (SIGTERM
    ends the process, SIGINT raises KeyboardInterrupt): stop at once."""
    signals = (signal.SIGTERM, signal.SIGINT)

    def first(*_: object) -> None:
        for number in signals:
            loop.remove_signal_handler(number)
        stop.set()

    for number in signals:
        loop.add_signal_handler(number, first)
    try:
        yield
    finally:
        for number in signals:
            loop.remove_signal_handler(number)


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
    from entrypoints.infrastructure import check_firewalls

    if settings.database_url is None:
        raise ConfigError("HOSTPROVIDER_DATABASE_URL is not set: the scheduler needs PostgreSQL")
    require_mail_decision(settings)
    check_shared_infrastructure(settings)
    check_database(settings)
    check_firewalls(settings)
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
