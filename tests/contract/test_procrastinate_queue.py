"""The procrastinate job sink: jobs deferred in a unit of work land in `procrastinate_jobs` exactly
when its rows commit (same connection, same transaction), with their task name, lock and args."""

from __future__ import annotations

import psycopg
import pytest

from adapters.jobs.procrastinate_queue import job_sink, web_app
from adapters.postgres.uow import PostgresUnitOfWorkFactory
from domain.model.errors import Conflict
from domain.model.ledger_movements import top_up

from . import builders as b
from .postgres import PgDatabase


@pytest.fixture
def factory(pg: PgDatabase) -> PostgresUnitOfWorkFactory:
    return PostgresUnitOfWorkFactory(pg.pool, job_sink=job_sink(web_app(pg.pool)))


def queued(pg: PgDatabase) -> list[tuple[str, str | None, dict, str]]:
    with psycopg.connect(pg.url) as conn:
        return conn.execute(
            "SELECT task_name, lock, args, status::text FROM procrastinate_jobs ORDER BY id"
        ).fetchall()


def test_a_committed_unit_of_works_jobs_are_queued_with_lock_and_args(pg, factory):
    with factory() as uow:
        account_id = uow.accounts.next_id()
        uow.accounts.add(b.account(account_id, "jobs@example.com"))
        uow.jobs.defer("servers.provision", lock="server:7", server_id=7, first_charge=120)
        uow.jobs.defer("servers.action", action_id=3)
        uow.commit()
    assert queued(pg) == [
        ("servers.provision", "server:7", {"server_id": 7, "first_charge": 120}, "todo"),
        ("servers.action", None, {"action_id": 3}, "todo"),
    ]
    with factory() as uow:
        assert uow.accounts.get(account_id) is not None


def test_a_rolled_back_unit_of_works_jobs_vanish_with_its_rows(pg, factory):
    with factory() as uow:
        uow.accounts.add(b.account(uow.accounts.next_id(), "gone@example.com"))
        uow.jobs.defer("servers.action", lock="server:1", action_id=1)
        uow.rollback()
    with pytest.raises(RuntimeError, match="boom"), factory() as uow:
        uow.jobs.defer("servers.action", lock="server:2", action_id=2)
        raise RuntimeError("boom")
    with factory() as uow:
        uow.jobs.defer("servers.action", lock="server:3", action_id=3)  # left without commit
    assert queued(pg) == []


def test_a_commit_that_fails_at_commit_time_queues_nothing(pg, factory):
    """The jobs are inserted before COMMIT; a deferred constraint failing there takes them along."""
    with factory() as uow:
        uow.ledger.post(top_up(1, b.rub(10), key="topup", now=b.T0))  # the balance rows exist
        uow.commit()
    with pytest.raises(Conflict) as refused, factory() as uow:
        conn = uow._require()  # write around the repositories: an unbalanced transaction
        tx_id = conn.execute(
            "INSERT INTO ledger_transactions (key, kind, currency, created_at, memo,"
            " customer_initiated) VALUES ('bad', 'charge', 'RUB', now(), '', false) RETURNING id"
        ).fetchone()[0]
        conn.execute(
            "INSERT INTO postings (tx_id, position, account_key, amount)"
            " VALUES (%s, 0, 'payments:RUB', 4)",
            (tx_id,),
        )
        uow.jobs.defer("servers.action", action_id=9)
        uow.commit()
    # The trigger's words stay on the chain, for the log; the error itself is in ours.
    assert "does not balance" in str(refused.value.__cause__)
    assert queued(pg) == []
