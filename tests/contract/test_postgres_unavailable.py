"""A database that cannot serve surfaces as the domain's `Unavailable` (the API's 503 with
Retry-After), never as a driver exception: no connection free in time, or a connection lost
mid-transaction."""

from __future__ import annotations

import psycopg
import pytest

from adapters.jobs.procrastinate_queue import job_sink, web_app
from adapters.postgres.pool import make_pool, open_pool
from adapters.postgres.uow import PendingJob, PostgresUnitOfWorkFactory
from domain.model.errors import Unavailable

from . import builders as b
from .postgres import PgDatabase


@pytest.fixture
def small_pool(pg: PgDatabase):
    pool = open_pool(make_pool(pg.url, size=1, timeout=0.3, name="unavailable-tests"))
    yield pool
    pool.close()


def test_no_connection_free_in_time_is_unavailable(small_pool):
    factory = PostgresUnitOfWorkFactory(small_pool, job_sink=job_sink(web_app(small_pool)))
    with small_pool.connection(), pytest.raises(Unavailable), factory():
        pass  # the only connection is taken


def test_a_connection_lost_mid_transaction_is_unavailable(pg, small_pool):
    factory = PostgresUnitOfWorkFactory(small_pool, job_sink=job_sink(web_app(small_pool)))
    with pytest.raises(Unavailable), factory() as uow:
        pid = uow._require().info.backend_pid
        with psycopg.connect(pg.url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        uow.accounts.add(b.account(uow.accounts.next_id(), "lost@example.com"))
        uow.jobs.defer("servers.action", action_id=1)
        uow.commit()
    with factory() as uow:  # the pool replaced the broken connection
        assert uow.accounts.by_email("lost@example.com") is None


def test_the_job_sink_reports_a_lost_connection_as_unavailable(pg, small_pool):
    sink = job_sink(web_app(small_pool))
    with psycopg.connect(pg.url) as conn:
        with psycopg.connect(pg.url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (conn.info.backend_pid,))
        with pytest.raises(Unavailable):
            sink(conn, [PendingJob("servers.action", {"action_id": 1}, "server:1")])
