"""PostgreSQL only: what a read costs. A unit of work that only reads runs no transaction; one that
writes after reading still changes nothing until it commits; the catalogue is parsed once per
version; a token brings its account in the same statement; the pool lends a connection it just
got back without checking it, and one that sat idle after checking it."""

from __future__ import annotations

import time

import attrs
import psycopg
import pytest
from psycopg.pq import TransactionStatus

from adapters.memory import InlineJobQueue
from adapters.postgres import pool as pools
from adapters.postgres.pool import make_pool, open_pool
from adapters.postgres.session import plain_read
from adapters.postgres.uow import PostgresUnitOfWorkFactory
from domain.model.errors import NoCatalogue, Unavailable

from . import builders as b
from .postgres import PgDatabase

IDLE, INTRANS = TransactionStatus.IDLE, TransactionStatus.INTRANS


@pytest.fixture
def factory(pg: PgDatabase) -> PostgresUnitOfWorkFactory:
    return PostgresUnitOfWorkFactory(pg.pool, job_queue=InlineJobQueue(auto_run=False))


def status(uow: object) -> TransactionStatus:
    return TransactionStatus(uow._connection().info.transaction_status)  # type: ignore[attr-defined]


def test_reads_run_outside_a_transaction_and_the_first_write_begins_one(factory):
    with factory() as uow:
        uow.accounts.add(b.account(1))
        uow.commit()
    with factory() as uow:
        assert uow.accounts.get(1) is not None
        assert uow.servers.for_owner(1) == []
        assert status(uow) is IDLE  # no BEGIN was sent for the reads
        uow.accounts.get_for_update(1)  # a row lock needs the transaction
        assert status(uow) is INTRANS
        uow.accounts.update(b.evolve(b.account(1), email="moved@example.com"))
        # leaves without commit
    with factory() as uow:
        assert uow.accounts.get(1).email == "user1@example.com"
        assert status(uow) is IDLE


def test_a_savepoint_as_the_first_write_stays_inside_the_unit_of_work(factory):
    """`accounts.update` writes under a savepoint; with no transaction begun yet, it must begin
    the unit of work's, not commit one of its own."""
    with factory() as uow:
        uow.accounts.add(b.account(1))
        uow.commit()
    with factory() as uow:
        account = uow.accounts.get(1)
        uow.accounts.update(b.evolve(account, email="renamed@example.com"))
        uow.rollback()
        assert uow.accounts.get(1).email == "user1@example.com"
        uow.accounts.update(b.evolve(account, email="renamed@example.com"))
        uow.commit()
        assert status(uow) is IDLE  # reads after a commit need no transaction either
    with factory() as uow:
        assert uow.accounts.get(1).email == "renamed@example.com"


def test_what_counts_as_a_plain_read():
    assert plain_read("SELECT * FROM servers WHERE owner_id = %s AND status <> 'deleted'")
    assert plain_read("  select count(*) FROM (SELECT id FROM accounts) AS everything")
    for statement in (
        "SELECT * FROM servers WHERE id = %s FOR UPDATE",
        "SELECT * FROM promo_codes WHERE id = %s FOR NO KEY UPDATE",
        "SELECT pg_advisory_xact_lock(%s)",
        "SELECT nextval('servers_id_seq')",
        "SELECT pg_notify('events', %s)",
        "WITH ins AS (INSERT INTO t VALUES (1) RETURNING id) SELECT id FROM ins",
        "UPDATE accounts SET email = %s",
    ):
        assert not plain_read(statement), statement
    assert not plain_read(psycopg.sql.SQL("SELECT 1"))  # composed: taken as a write


def test_the_catalogue_is_parsed_once_per_version_and_a_rewritten_row_is_seen(pg, factory):
    with factory() as uow:
        with pytest.raises(NoCatalogue):
            uow.catalogue.current()
        uow.catalogue.publish(b.catalogue(1))
        uow.commit()
    with factory() as uow:
        first = uow.catalogue.current()
    with factory() as uow:
        assert uow.catalogue.current() is first  # the same parsed object: not parsed again
    with factory() as uow:
        uow.catalogue.publish(b.catalogue(2))
        uow.commit()
    with factory() as uow:
        assert uow.catalogue.current().version == 2
    with psycopg.connect(pg.url, autocommit=True) as admin:  # someone edits the row by hand
        admin.execute(
            "UPDATE catalogue_versions SET document = jsonb_set(document, '{currency}', '\"USD\"')"
            " WHERE version = 2"
        )
    with factory() as uow:
        assert uow.catalogue.current().currency == "USD"


def test_a_token_brings_its_account_for_the_next_get_only(pg, factory):
    with factory() as uow:
        uow.accounts.add(b.account(1))
        uow.tokens.add(b.token(7, 1, digest="d" * 64))
        uow.commit()
    with factory() as uow:
        token = uow.tokens.by_digest("d" * 64)
        assert token is not None and token.account_id == 1
        with psycopg.connect(pg.url, autocommit=True) as admin:
            admin.execute("UPDATE accounts SET email = 'later@example.com' WHERE id = 1")
        assert uow.accounts.get(1).email == "user1@example.com"  # read with the token
        assert uow.accounts.get(1).email == "later@example.com"  # then from the table again
        assert uow.tokens.by_digest("e" * 64) is None


def test_a_changed_account_is_not_answered_from_the_token_read(factory):
    with factory() as uow:
        uow.accounts.add(b.account(1))
        uow.tokens.add(b.token(7, 1, digest="d" * 64))
        uow.commit()
    with factory() as uow:
        uow.tokens.by_digest("d" * 64)
        uow.accounts.update(b.evolve(b.account(1), email="new@example.com"))
        assert uow.accounts.get(1).email == "new@example.com"


@attrs.define
class Lent:
    checked: int = 0


def test_the_pool_checks_only_a_connection_idle_for_longer_than_the_window(pg, monkeypatch):
    lent = Lent()
    real_check = pools.ConnectionPool.check_connection

    def counting(conn: psycopg.Connection) -> None:
        lent.checked += 1
        real_check(conn)

    monkeypatch.setattr(pools.ConnectionPool, "check_connection", staticmethod(counting))
    monkeypatch.setattr(pools, "UNCHECKED_SECONDS", 0.3)
    pool = open_pool(make_pool(pg.url, size=1, name="recent-use-tests"))
    try:
        for _ in range(3):
            with pool.connection():
                pass
        assert lent.checked == 1  # the first loan of a new connection only
        time.sleep(0.35)
        with pool.connection() as conn:
            pid = conn.info.backend_pid
        assert lent.checked == 2
        with psycopg.connect(pg.url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        time.sleep(0.35)  # lost while idle past the window: the check finds it, a new one serves
        factory = PostgresUnitOfWorkFactory(pool, job_queue=InlineJobQueue(auto_run=False))
        with factory() as uow:
            assert uow.accounts.get(1) is None
    finally:
        pool.close()


def test_a_connection_lost_within_the_window_fails_one_unit_of_work_as_unavailable(pg, monkeypatch):
    monkeypatch.setattr(pools, "UNCHECKED_SECONDS", 60.0)
    pool = open_pool(make_pool(pg.url, size=1, name="recent-use-tests"))
    factory = PostgresUnitOfWorkFactory(pool, job_queue=InlineJobQueue(auto_run=False))
    try:
        with pool.connection() as conn:
            pid = conn.info.backend_pid
        with psycopg.connect(pg.url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        with pytest.raises(Unavailable), factory() as uow:
            uow.accounts.get(1)
        with factory() as uow:  # the pool replaced it
            assert uow.accounts.get(1) is None
    finally:
        pool.close()
