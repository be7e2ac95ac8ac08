"""procrastinate 3.10 as the job queue: deferring inside our transaction, and the worker's tasks.

Web side (`web_app` + `job_sink`): a `SyncPsycopgConnector` opened on *our* pool; the unit of work
calls the sink right before COMMIT with its connection, and each job is deferred by task name with
`configure_task(name, lock=..., connection=connection)`, so jobs and rows commit or vanish together.
The web process never imports task code.

Worker side (`worker_app` + `register_tasks` / `register_periodic` / `register_stalled_recovery`):
an async `PsycopgConnector` (the worker and its periodic deferrer need it). The handlers are given
by the entrypoints as a {task name: callable} mapping, since adapters never import use cases.
Only `Unavailable` (a dependency that is down) is retried, with exponential backoff; any other
error fails the job at once. Saga steps must be idempotent: a stalled job runs again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

import psycopg
from procrastinate import App, PsycopgConnector, RetryStrategy, SyncPsycopgConnector
from procrastinate.exceptions import ConnectorException
from psycopg_pool import ConnectionPool

from adapters.postgres.session import domain_error
from adapters.postgres.uow import JobSink, PendingJob
from domain.model.errors import Unavailable

log = logging.getLogger("hostprovider.jobs")

DEFAULT_QUEUE = "default"
PERIODIC_QUEUE = "periodic"
STALLED_TASK = "hostprovider.retry_stalled_jobs"
TRANSIENT_RETRY = RetryStrategy(
    max_attempts=8, exponential_wait=2, retry_exceptions={Unavailable}
)  # waits 4, 8, 16 ... 512 s: about 17 minutes in all


def web_app(pool: ConnectionPool) -> App:
    """A defer-only App on our own (already opened) pool; it never closes that pool."""
    app = App(connector=SyncPsycopgConnector())
    app.open(pool)
    return app


def job_sink(app: App) -> JobSink:
    """`job_sink(connection, jobs)` for PostgresUnitOfWorkFactory: defers inside the transaction."""

    def sink(connection: psycopg.Connection, jobs: list[PendingJob]) -> None:
        try:
            for job in jobs:
                deferrer = app.configure_task(job.task, lock=job.lock, connection=connection)
                deferrer.defer(**job.args)
        except ConnectorException as ex:  # procrastinate wraps the driver's error
            cause = ex.__cause__
            if isinstance(cause, psycopg.Error):
                raise domain_error(cause) from ex
            log.warning("the job queue refused a job: %s", ex)  # its words stay here
            raise Unavailable("the job queue refused a job") from ex

    return sink


def worker_app(conninfo: str, *, pool_size: int = 4) -> App:
    """The worker's App; open it with `async with app.open_async():` in the worker's loop."""
    connector = PsycopgConnector(
        conninfo=conninfo, min_size=1, max_size=pool_size, kwargs={"options": "-c TimeZone=UTC"}
    )
    return App(connector=connector)


def register_tasks(
    app: App, handlers: Mapping[str, Callable[..., object]], *, queue: str = DEFAULT_QUEUE
) -> None:
    """Register each handler under its task name; it is called with the job's args as keywords."""
    for name, handler in handlers.items():
        app.task(name=name, queue=queue, retry=TRANSIENT_RETRY)(_named(handler, name))


def register_periodic(
    app: App, name: str, cron: str, run: Callable[[], object], *, queue: str = PERIODIC_QUEUE
) -> None:
    """A periodic task deferred once per tick across all workers (cron: seconds are the 6th field).

    No retries and a queueing lock: a tick that fails waits for the next one, and ticks never pile
    up behind a slow one."""

    def tick(timestamp: int) -> None:
        run()  # the caller's `run` logs what the tick did

    task = app.task(name=name, queue=queue, queueing_lock=name, retry=False)(_named(tick, name))
    app.periodic(cron=cron, periodic_id=name)(task)


def register_stalled_recovery(
    app: App, *, cron: str = "* * * * * */5", seconds_since_heartbeat: float = 30
) -> None:
    """Jobs left `doing` by a worker that stopped heart-beating go back to `todo` (to run again)."""

    async def retry_stalled_jobs(timestamp: int) -> None:
        stalled = await app.job_manager.get_stalled_jobs(
            seconds_since_heartbeat=seconds_since_heartbeat
        )
        for job in stalled:
            log.warning("retrying stalled job %s (%s)", job.id, job.task_name)
            await app.job_manager.retry_job(job)

    task = app.task(name=STALLED_TASK, queue=PERIODIC_QUEUE, queueing_lock=STALLED_TASK)(
        retry_stalled_jobs
    )
    app.periodic(cron=cron, periodic_id=STALLED_TASK)(task)


def _named(func: Callable[..., Any], name: str) -> Callable[..., Any]:
    """A fresh function (never the caller's own object) called `name`, calling `func`."""

    def run(**args: Any) -> Any:
        return func(**args)

    run.__name__ = run.__qualname__ = name.replace(".", "_").replace(":", "_")
    return run
