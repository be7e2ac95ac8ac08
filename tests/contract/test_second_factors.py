"""SecondFactorRepository and token scopes on both stores, and codes raced on PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import psycopg
import pyotp
import pytest

from adapters.memory import InlineJobQueue
from adapters.postgres.uow import PostgresUnitOfWorkFactory
from domain.model.accounts import Role, TokenKind
from domain.model.commands import Credentials, NewAccount
from domain.model.scopes import FULL_ACCESS, Scope
from domain.model.two_factor import OneTimeCode, SecondFactor
from domain.usecases import accounts, two_factor
from domain.usecases.actors import Actor
from domain.usecases.runtime import Runtime

from . import builders as b
from . import test_postgres_concurrency as racing
from .postgres import PgDatabase

NOW = dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.UTC)
PASSWORD = "correct horse battery"


def _factor(uow_factory: Callable, **changes: object) -> None:
    with uow_factory() as uow:
        uow.accounts.add(b.account(1))
        fields = {"account_id": 1, "sealed_secret": "sealed", **changes}
        uow.second_factors.save(SecondFactor(**fields))  # type: ignore[arg-type]
        uow.commit()


def test_a_second_factor_is_saved_replaced_and_removed(uow_factory):
    _factor(uow_factory)
    with uow_factory() as uow:
        assert uow.second_factors.get(1) == SecondFactor(1, "sealed")
        assert uow.second_factors.get(2) is None
        enabled = SecondFactor(1, "other", NOW, 7, ("d1", "d2"))
        uow.second_factors.save(enabled)
        uow.commit()
    with uow_factory() as uow:
        assert uow.second_factors.get(1) == enabled
        uow.second_factors.remove(1)
        uow.second_factors.remove(1)  # already gone: nothing to do
        uow.commit()
    with uow_factory() as uow:
        assert uow.second_factors.get(1) is None


def test_a_step_is_claimed_once_and_only_later_steps_after_it(uow_factory):
    _factor(uow_factory, enabled_at=NOW)
    with uow_factory() as uow:
        assert uow.second_factors.claim_step(1, 100)
        assert not uow.second_factors.claim_step(1, 100)
        assert not uow.second_factors.claim_step(1, 99)
        assert uow.second_factors.claim_step(1, 101)
        assert not uow.second_factors.claim_step(2, 5)  # no second factor
        uow.commit()
    with uow_factory() as uow:
        assert uow.second_factors.get(1).last_step == 101


def test_a_recovery_code_is_spent_once(uow_factory):
    _factor(uow_factory, enabled_at=NOW, recovery_digests=("a", "b", "c"))
    with uow_factory() as uow:
        assert uow.second_factors.spend_recovery_code(1, "b")
        assert not uow.second_factors.spend_recovery_code(1, "b")
        assert not uow.second_factors.spend_recovery_code(1, "zzz")
        uow.commit()
    with uow_factory() as uow:
        assert uow.second_factors.get(1).recovery_digests == ("a", "c")


def test_a_rolled_back_claim_leaves_the_step_free(uow_factory):
    _factor(uow_factory, enabled_at=NOW)
    with uow_factory() as uow:
        assert uow.second_factors.claim_step(1, 100)  # no commit
    with uow_factory() as uow:
        assert uow.second_factors.claim_step(1, 100)


def test_a_tokens_scopes_are_kept_and_full_access_is_the_default(uow_factory):
    with uow_factory() as uow:
        uow.accounts.add(b.account(1))
        uow.tokens.add(b.token(1, 1))
        scoped = b.token(2, 1, scopes=frozenset({Scope.SERVERS_READ, Scope.BILLING_WRITE}))
        uow.tokens.add(scoped)
        uow.commit()
    with uow_factory() as uow:
        assert uow.tokens.get(1).scopes == FULL_ACCESS
        assert uow.tokens.by_digest(scoped.digest) == scoped
        assert [t.scopes for t in uow.tokens.for_account(1, TokenKind.PERSONAL)] == [
            FULL_ACCESS,
            scoped.scopes,
        ]


# --- PostgreSQL only ----------------------------------------------------------------------------


def test_tokens_stored_before_scopes_have_full_access_and_the_column_refuses_nonsense(
    pg: PgDatabase,
):
    with psycopg.connect(pg.url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO api_tokens (id, account_id, kind, name, digest, created_at)"
            " VALUES (900, 1, 'personal', 'old', 'old-digest', now())"
        )
        assert conn.execute("SELECT scopes FROM api_tokens WHERE id = 900").fetchone() == (["*"],)
        for bad in (["*", "admin"], [], ["servers:delete"]):
            with pytest.raises(psycopg.errors.CheckViolation):
                conn.execute("UPDATE api_tokens SET scopes = %s WHERE id = 900", (bad,))
    factory = PostgresUnitOfWorkFactory(pg.pool, job_queue=InlineJobQueue(auto_run=False))
    with factory() as uow:
        assert uow.tokens.get(900).scopes == FULL_ACCESS


shop = racing.shop  # the fixture: the PostgreSQL back office on a FakeClock


@pytest.fixture
def rt(shop: racing.Shop) -> Runtime:
    return racing._unbounded(shop.rt)  # the race is over the code, not the hashing slots


def _two_factor_customer(rt: Runtime) -> tuple[str, str, list[str]]:
    account = accounts.register(rt, NewAccount("racer@example.com", PASSWORD))
    actor = Actor(account.id, Role.CUSTOMER)
    secret = two_factor.set_up(rt, actor, two_factor.SetUpTwoFactor()).secret
    code = OneTimeCode(pyotp.TOTP(secret).at(NOW))
    recovery = two_factor.enable(rt, actor, two_factor.EnableTwoFactor(code))
    rt.clock.advance(30)  # type: ignore[attr-defined]
    return account.email, secret, recovery


def test_eight_logins_racing_with_one_code_let_exactly_one_in(rt: Runtime):
    email, secret, _ = _two_factor_customer(rt)
    code = OneTimeCode(pyotp.TOTP(secret).at(rt.clock.now()))

    outcomes = racing.race(8, lambda n: accounts.login(rt, Credentials(email, PASSWORD), totp=code))

    assert outcomes.count("ok") == 1, outcomes
    assert all("TotpRejected" in o for o in outcomes if o != "ok"), outcomes


def test_eight_logins_racing_with_one_recovery_code_let_exactly_one_in(rt: Runtime):
    email, _, recovery = _two_factor_customer(rt)
    code = OneTimeCode(recovery[0])

    outcomes = racing.race(8, lambda n: accounts.login(rt, Credentials(email, PASSWORD), totp=code))

    assert outcomes.count("ok") == 1, outcomes
    assert all("TotpRejected" in o for o in outcomes if o != "ok"), outcomes
    with rt.uow() as uow:
        assert len(uow.second_factors.get(_account_id(rt, email)).recovery_digests) == 9


def _account_id(rt: Runtime, email: str) -> int:
    with rt.uow() as uow:
        account = uow.accounts.by_email(email)
    assert account is not None
    return account.id


def test_the_secret_rests_sealed(rt: Runtime, pg: PgDatabase):
    _, secret, _ = _two_factor_customer(rt)
    with psycopg.connect(pg.url) as conn:
        (sealed,) = conn.execute("SELECT sealed_secret FROM second_factors").fetchone()
    assert secret not in sealed and rt.secret_box.open(sealed) == secret
