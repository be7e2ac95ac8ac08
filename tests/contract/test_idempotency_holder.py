"""PostgreSQL only: an Idempotency-Key claim belongs to the process whose connection made it, and
is taken over at once when that process has no connection left (it died mid-request), lease or
not; while the process is connected the claim stands. A claim whose request committed a change is
never taken over."""

from __future__ import annotations

import datetime as dt
import time

import psycopg

from adapters.memory import InlineJobQueue
from adapters.postgres.uow import PostgresUnitOfWorkFactory
from ports.audit import AuditRecord
from ports.idempotency import REQUEST_CLAIM, IdempotencyRecord

from .postgres import PgDatabase

NOW = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)
LONG_AGO = NOW - dt.timedelta(days=1)  # a lease that never ran out, for these tests


def claimed_by(pg: PgDatabase, holder: psycopg.Connection, key: str) -> None:
    """What a request in another process does first: claim the key on its own connection."""
    holder.execute(
        "INSERT INTO idempotency_keys (account_id, key, fingerprint, created_at, holder)"
        " VALUES (1, %s, 'fp', %s, current_setting('application_name'))",
        (key, NOW),
    )


def gone(pg: PgDatabase, application_name: str) -> None:
    """Wait (at most 5 s) until the server has ended the backend of a connection closed by its
    client: closing returns before the server has noticed, and a process is gone only once its
    backends are."""
    deadline = time.monotonic() + 5
    with psycopg.connect(pg.url, autocommit=True) as probe:
        while probe.execute(
            "SELECT 1 FROM pg_stat_activity WHERE application_name = %s", (application_name,)
        ).fetchone():
            assert time.monotonic() < deadline, f"{application_name} is still connected"
            time.sleep(0.02)


def retry(pg: PgDatabase, key: str) -> IdempotencyRecord | None:
    factory = PostgresUnitOfWorkFactory(pg.pool, job_queue=InlineJobQueue(auto_run=False))
    with factory() as uow:
        found = uow.idempotency.claim(
            IdempotencyRecord(1, key, "fp", NOW + dt.timedelta(seconds=1)), stale_before=LONG_AGO
        )
        uow.commit()
    return found


def test_a_claim_of_a_connected_process_stands_and_is_taken_over_once_it_is_gone(pg):
    other = psycopg.connect(pg.url, autocommit=True, application_name="hostprovider other-worker")
    try:
        claimed_by(pg, other, "mid-request")
        running = retry(pg, "mid-request")
        assert running is not None and running.response is None
    finally:
        other.close()  # the worker is killed: its connections go with it
    gone(pg, "hostprovider other-worker")
    assert retry(pg, "mid-request") is None  # taken over
    held = retry(pg, "mid-request")  # and now held by this process, which is connected
    assert held is not None and held.created_at == NOW + dt.timedelta(seconds=1)


def test_a_claim_whose_request_committed_a_change_is_never_taken_over(pg):
    """The request changed something (an order, a charge) and died before storing its answer: a
    retry must not do it again. The mark is written in the change's own transaction."""
    other = psycopg.connect(pg.url, autocommit=True, application_name="hostprovider dying-worker")
    factory = PostgresUnitOfWorkFactory(pg.pool, job_queue=InlineJobQueue(auto_run=False))
    try:
        claimed_by(pg, other, "charged")
        token = REQUEST_CLAIM.set((1, "charged"))
        try:
            with factory() as uow:  # the request's change, committed
                uow.audit.record(AuditRecord(NOW, 1, "credit", "account:1", "ok"))
                uow.commit()
            with factory() as uow:  # a change rolled back marks nothing
                uow.audit.record(AuditRecord(NOW, 1, "credit", "account:1", "ok"))
        finally:
            REQUEST_CLAIM.reset(token)
    finally:
        other.close()
    found = retry(pg, "charged")
    assert found is not None and found.changed and found.response is None
    assert retry(pg, "charged") is not None  # and stays so
