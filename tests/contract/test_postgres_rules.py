"""The rules the PostgreSQL schema enforces by itself, written past the repositories' checks.

A bug in the posting code, or a second writer, still cannot unbalance the books, overdraw a wallet
through a customer's charge, settle a hold twice, edit history or overuse a promo code.
"""

from __future__ import annotations

import psycopg
import pytest

from adapters.memory import InlineJobQueue
from adapters.postgres.uow import PostgresUnitOfWorkFactory
from domain.model import ledger_movements as M
from domain.model.errors import Conflict, InsufficientFunds, PromoCodeRejected
from ports.promos import Redemption

from . import builders as b
from .postgres import PgDatabase


@pytest.fixture
def uow_factory(pg: PgDatabase) -> PostgresUnitOfWorkFactory:
    return PostgresUnitOfWorkFactory(pg.pool, job_queue=InlineJobQueue(auto_run=False))


@pytest.fixture
def funded(uow_factory, pg: PgDatabase) -> psycopg.Connection:
    """A customer with 10.00, and a raw connection to write around the repositories."""
    with uow_factory() as uow:
        uow.ledger.post(M.top_up(1, b.rub(10), key="topup", now=b.T0))
        uow.commit()
    with psycopg.connect(pg.url) as conn:
        yield conn


def raw_transaction(conn, key: str, kind: str, postings: list[tuple[str, int]], *, initiated=False):
    tx_id = conn.execute(
        "INSERT INTO ledger_transactions (key, kind, currency, created_at, memo,"
        " customer_initiated) VALUES (%s, %s, 'RUB', now(), '', %s) RETURNING id",
        (key, kind, initiated),
    ).fetchone()[0]
    for n, (account, amount) in enumerate(postings):
        conn.execute(
            "INSERT INTO postings (tx_id, position, account_key, amount) VALUES (%s, %s, %s, %s)",
            (tx_id, n, account, amount),
        )
    return tx_id


def test_postings_that_do_not_sum_to_zero_fail_at_commit(funded):
    raw_transaction(funded, "bad", "charge", [("wallet:RUB:1", -5), ("payments:RUB", 4)])
    with pytest.raises(psycopg.errors.CheckViolation, match="does not balance"):
        funded.commit()


def test_a_transaction_without_postings_fails_at_commit(funded):
    raw_transaction(funded, "empty", "charge", [])
    with pytest.raises(psycopg.errors.CheckViolation, match="does not balance"):
        funded.commit()


def test_a_customer_initiated_debit_cannot_overdraw_a_wallet(funded):
    with pytest.raises(psycopg.errors.CheckViolation, match="below zero"):
        raw_transaction(
            funded,
            "overdraw",
            "charge",
            [("wallet:RUB:1", -11_000_000), ("payments:RUB", 11_000_000)],
            initiated=True,
        )


def test_usage_may_overdraw_a_wallet(funded):
    raw_transaction(
        funded, "usage", "usage", [("wallet:RUB:1", -11_000_000), ("payments:RUB", 11_000_000)]
    )
    funded.commit()
    assert funded.execute("SELECT count(*) FROM ledger_drift").fetchone() == (0,)


def test_balances_change_only_through_postings(funded):
    with pytest.raises(psycopg.errors.RestrictViolation, match="only by posting"):
        funded.execute("UPDATE account_balances SET balance = balance + 1")


@pytest.mark.parametrize("statement", ["UPDATE postings SET amount = 1", "DELETE FROM postings"])
def test_the_ledger_is_append_only(funded, statement):
    with pytest.raises(psycopg.errors.RestrictViolation, match="append-only"):
        funded.execute(statement)


def test_a_hold_is_settled_at_most_once_even_past_the_check(uow_factory, pg, monkeypatch):
    with uow_factory() as uow:
        uow.ledger.post(M.top_up(1, b.rub(10), key="topup", now=b.T0))
        held = uow.ledger.post(M.hold(1, b.rub(4), key="hold", now=b.T0, server_id=1))
        uow.ledger.post(M.release(held, now=b.T0))
        uow.commit()
    # Pretend the posting code forgot to check: the database still refuses.
    monkeypatch.setattr("adapters.postgres.ledger.check_postable", lambda *args: None)
    with uow_factory() as uow, pytest.raises((Conflict, InsufficientFunds)):
        uow.ledger.post(M.capture(held, b.rub(4), now=b.T0)[0])


def test_a_customer_charge_past_the_check_is_still_refused(uow_factory, funded, monkeypatch):
    monkeypatch.setattr("adapters.postgres.ledger.check_postable", lambda *args: None)
    with uow_factory() as uow, pytest.raises(InsufficientFunds):
        uow.ledger.post(M.charge(1, b.rub(11), key="c", now=b.T0, memo="too much"))


def test_promo_limits_hold_past_the_repository(uow_factory, pg):
    with uow_factory() as uow:
        uow.promos.add(b.promo(1, "ONCE", max_uses=1))
        uow.promos.redeem(1, Redemption(1, 10, "server:1", b.T0))
        uow.commit()
    with (
        psycopg.connect(pg.url) as conn,
        pytest.raises(psycopg.errors.CheckViolation, match="used up"),
    ):
        conn.execute(
            "INSERT INTO promo_redemptions (code_id, customer_id, reference, at)"
            " VALUES (1, 11, 'server:2', now())"
        )
    with uow_factory() as uow:
        assert uow.promos.get(1).uses == 1
        with pytest.raises(PromoCodeRejected):
            uow.promos.redeem(1, Redemption(1, 11, "server:2", b.T0))


def test_addresses_and_pools_are_guarded(pg):
    with psycopg.connect(pg.url) as conn:
        conn.execute(
            "INSERT INTO ip_pools (cidr, location_id, gateway, reserved)"
            " VALUES ('10.20.0.0/24', 1, '10.20.0.1', '{}')"
        )
        with pytest.raises(psycopg.errors.ExclusionViolation), conn.transaction():
            conn.execute(
                "INSERT INTO ip_pools (cidr, location_id, gateway, reserved)"
                " VALUES ('10.20.0.0/16', 2, '10.20.0.1', '{}')"
            )
        with pytest.raises(psycopg.errors.CheckViolation), conn.transaction():
            conn.execute(
                "INSERT INTO ip_assignments (cidr, ip, server_id)"
                " VALUES ('10.20.0.0/24', '10.99.0.5', 1)"
            )
