"""The scheduler's worker on PostgreSQL: an order deferred by the API side (in the order's own
transaction) is provisioned by a worker running in this process, with the simulated hypervisor at
0 s task durations. Waits are bounded."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import attrs
import psycopg
import pytest

from adapters.postgres.migrate import migrate
from domain.model.accounts import Role
from domain.model.commands import BalanceAdjustment, NewAccount, OrderRequest
from domain.usecases import accounts, money, ordering
from domain.usecases.actors import Actor
from domain.usecases.ordering import PROVISION_TASK
from entrypoints import sandbox
from entrypoints.config import Settings
from entrypoints.container import build
from entrypoints.logs import RedactSecrets
from entrypoints.scheduler.worker import build_app, cron_for, run_worker
from tests.backoffice import FAST

from .postgres import PgDatabase, ScratchDatabase, admin_connection, refused_connections

PASSWORD = "correct horse battery"
DEADLINE_SECONDS = 30


@pytest.fixture
def settings(pg: PgDatabase) -> Settings:
    return attrs.evolve(
        FAST,
        database_url=pg.url,
        sandbox_task_seconds=0,
        db_pool_size=2,
        scheduler_concurrency=2,
    )


def order_a_server(rt) -> int:
    sandbox.seed(rt.uow)  # a database starts with no catalogue: the operator's would be imported
    admin = accounts.register(rt, NewAccount("root@admin.example", PASSWORD, role=Role.ADMIN))
    customer = accounts.register(rt, NewAccount("ann@example.com", PASSWORD))
    money.adjust_balance(
        rt,
        Actor(admin.id, Role.ADMIN),
        BalanceAdjustment(customer.id, "1000.00", "credit for the test", request_key="credit-1"),
    )
    request = OrderRequest(os_id=1, tariff_id=1)
    created = ordering.create_server(rt, Actor(customer.id, Role.CUSTOMER), request)
    return created.server.id


def status(rt, server_id: int) -> str:
    with rt.uow() as uow:
        server = uow.servers.get(server_id)
    assert server is not None
    return server.status.value


def test_cron_expressions_put_seconds_last():
    assert cron_for(30) == "* * * * * */30"
    assert cron_for(10) == "* * * * * */10"
    assert cron_for(60) == "* * * * *"
    assert cron_for(300) == "*/5 * * * *"
    with pytest.raises(ValueError):
        cron_for(7 * 60)


def test_a_worker_provisions_an_ordered_server(settings, pg):
    api = build(settings)  # the API side: its own pool, jobs deferred through procrastinate
    scheduler = build(attrs.evolve(settings))  # the scheduler side, as its own process would
    try:
        server_id = order_a_server(api.runtime())
        assert status(api.runtime(), server_id) == "pending"  # nobody has worked the job yet
        app = build_app(settings, scheduler.runtime())

        async def work_until_running() -> str:
            worker = asyncio.create_task(
                run_worker(
                    app,
                    concurrency=2,
                    install_signal_handlers=False,
                    name="test-worker",
                    delete_jobs="never",  # kept, to be looked at below
                )
            )
            deadline = time.monotonic() + DEADLINE_SECONDS
            try:
                while time.monotonic() < deadline and not worker.done():
                    found = await asyncio.to_thread(status, api.runtime(), server_id)
                    if found not in ("pending", "provisioning"):
                        return found
                    await asyncio.sleep(0.2)
                return status(api.runtime(), server_id)
            finally:
                worker.cancel()
                await asyncio.wait_for(asyncio.gather(worker, return_exceptions=True), 10)

        assert asyncio.run(work_until_running()) == "running"
        with psycopg.connect(pg.url) as conn:
            jobs = conn.execute(
                "SELECT task_name, lock, status::text FROM procrastinate_jobs"
                " WHERE queue_name = 'default'"
            ).fetchall()
        assert jobs == [(PROVISION_TASK, f"server:{server_id}", "succeeded")]
    finally:
        api.pool().close()
        scheduler.pool().close()


def test_job_arguments_that_are_secrets_are_not_logged():
    record = logging.LogRecord(
        "procrastinate.worker",
        logging.INFO,
        __file__,
        1,
        "Starting job provision_server[11](server_id=1, root_password='p4ss=word', secret=\"s\")",
        None,
        None,
    )
    assert RedactSecrets().filter(record)
    assert record.getMessage() == (
        "Starting job provision_server[11](server_id=1, root_password='***', secret='***')"
    )


def start_scheduler(pg: PgDatabase, folder, name: str, **env: str) -> subprocess.Popen:
    environ = {
        **os.environ,
        "HOSTPROVIDER_DATABASE_URL": pg.url,
        "HOSTPROVIDER_SECRET_KEY": "k" * 32,
        "HOSTPROVIDER_SMTP_HOST": "none",
        "HOSTPROVIDER_IN_PROCESS_INFRASTRUCTURE": "1",  # each scheduler simulates its own cluster
        "HOSTPROVIDER_SCHEDULER_CONCURRENCY": "2",
        "HOSTPROVIDER_DB_POOL_SIZE": "2",
        "HOSTPROVIDER_ARGON2_MEMORY_KIB": "8192",
        "HOSTPROVIDER_ARGON2_TIME_COST": "1",
        **{f"HOSTPROVIDER_{key.upper()}": value for key, value in env.items()},
    }
    with (folder / f"{name}.log").open("w") as out:  # the child keeps its own descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "entrypoints.cli", "scheduler"],
            env=environ,
            cwd=folder,  # no stray .env
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()
        process.wait(timeout=5)


def wait_for(condition, what: str, seconds: float = DEADLINE_SECONDS):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"no {what} within {seconds} s")


def provisioning_status(pg: PgDatabase) -> str | None:
    with psycopg.connect(pg.url) as conn:
        row = conn.execute(
            "SELECT status::text FROM procrastinate_jobs WHERE task_name = %s", (PROVISION_TASK,)
        ).fetchone()
    return row[0] if row else None


def test_a_job_of_a_killed_scheduler_is_run_again_by_another(settings, pg, tmp_path):
    """kill -9 in the middle of a provisioning: the job stays `doing` until another scheduler sees
    the first one silent (3 s here) and puts the job back; the saga then completes there."""
    api = build(settings)
    first = start_scheduler(
        pg, tmp_path, "first", sandbox_task_seconds="5", stalled_job_seconds="3"
    )
    second = None
    try:
        server_id = order_a_server(api.runtime())
        wait_for(lambda: provisioning_status(pg) == "doing", "provisioning started")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=5)
        assert provisioning_status(pg) == "doing"  # nobody else touches it yet
        second = start_scheduler(
            pg, tmp_path, "second", sandbox_task_seconds="0", stalled_job_seconds="3"
        )
        running = wait_for(
            lambda: status(api.runtime(), server_id) == "running", "running server", 45
        )
        assert running
        assert provisioning_status(pg) is None  # succeeded, hence deleted
        log = (tmp_path / "second.log").read_text()
        assert "retrying stalled job" in log
    finally:
        stop(first)
        if second is not None:
            stop(second)
        api.pool().close()


def test_the_scheduler_command_stops_gracefully_on_sigterm(pg, tmp_path):
    process = start_scheduler(pg, tmp_path, "scheduler")
    log = (tmp_path / "scheduler.log").open()
    try:
        deadline = time.monotonic() + DEADLINE_SECONDS
        registered = False
        while time.monotonic() < deadline and process.poll() is None and not registered:
            with psycopg.connect(pg.url) as conn:
                registered = bool(
                    conn.execute("SELECT count(*) FROM procrastinate_workers").fetchone()[0]
                )
            time.sleep(0.2)
        log.seek(0)
        assert registered, log.read()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
        with psycopg.connect(pg.url) as conn:  # a worker that stops cleanly unregisters itself
            assert conn.execute("SELECT count(*) FROM procrastinate_workers").fetchone()[0] == 0
    finally:
        stop(process)
        log.close()


def live_workers(pg: PgDatabase | ScratchDatabase, since: float) -> int:
    """Workers that heart-beat after `since` (a time.time())."""
    with psycopg.connect(pg.url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM procrastinate_workers WHERE last_heartbeat > to_timestamp(%s)",
            (since,),
        ).fetchone()
    return int(row[0]) if row else 0


@pytest.fixture
def own_database() -> Iterator[ScratchDatabase]:
    """A database of the test's own: an outage of the session's would reach the other tests."""
    admin = admin_connection()
    scratch = ScratchDatabase.create(admin)
    try:
        migrate(scratch.url)
        yield scratch
    finally:
        scratch.drop()
        admin.close()


def test_a_scheduler_rides_out_a_database_outage(settings, own_database, tmp_path):
    """3 s without the database (connections cut and refused): the scheduler neither exits nor
    stays deaf; it heart-beats again when the database is back and provisions the next order."""
    pg = own_database
    settings = attrs.evolve(settings, database_url=pg.url)
    process = start_scheduler(pg, tmp_path, "scheduler", sandbox_task_seconds="0")
    api = None
    try:
        wait_for(lambda: live_workers(pg, 0), "a registered worker")
        with refused_connections(pg.url):
            time.sleep(3)
            assert process.poll() is None
        back = time.time()
        wait_for(lambda: live_workers(pg, back), "a worker heart-beating after the outage")
        assert process.poll() is None, (tmp_path / "scheduler.log").read_text()[-3000:]
        api = build(settings)
        server_id = order_a_server(api.runtime())
        wait_for(lambda: status(api.runtime(), server_id) == "running", "running server")
        assert process.poll() is None
        process.send_signal(signal.SIGTERM)  # and a stop is still a stop, with code 0
        assert process.wait(timeout=15) == 0
    finally:
        stop(process)
        if api is not None:
            api.pool().close()
