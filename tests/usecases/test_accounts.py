"""Register, log in and out, authenticate, personal access tokens."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from domain.model.accounts import Role, TokenKind, token_digest
from domain.model.commands import Credentials, NewAccount, NewToken
from domain.model.dunning import Standing
from domain.model.errors import (
    AlreadyExists,
    AuthenticationFailed,
    NotFound,
    RuleViolation,
    ValidationError,
)
from domain.usecases import accounts, admin
from domain.usecases.actors import Actor

from .support import PASSWORD, World, refused


class TestRegister:
    def test_creates_an_active_customer_with_a_welcome_notice(self, world: World) -> None:
        account = accounts.register(world.rt, NewAccount("  Ann@Example.COM ", PASSWORD))

        with world.rt.uow() as uow:
            stored = uow.accounts.get(account.id)
            audit = uow.audit.recent(1)
        assert stored is not None
        assert stored.email == "Ann@example.com"
        assert stored.role is Role.CUSTOMER
        assert stored.standing is Standing.ACTIVE
        assert stored.currency == "RUB"
        assert PASSWORD not in stored.password_hash
        assert world.rt.hasher.verify(stored.password_hash, PASSWORD)
        assert world.templates(Actor(account.id, Role.CUSTOMER)) == ["welcome"]
        assert audit[0].action == "account.register"

    def test_an_e_mail_is_taken_whatever_the_case_of_its_domain(self, world: World) -> None:
        accounts.register(world.rt, NewAccount("ann@example.com", PASSWORD))
        err = refused(
            world,
            AlreadyExists,
            lambda: accounts.register(world.rt, NewAccount("ann@EXAMPLE.com", PASSWORD)),
        )
        assert err.code == "already_exists"
        assert err.details["field"] == "email"

    @pytest.mark.parametrize(
        "email", ["", "no-at-sign", "a@b", "a b@example.com", "ann\n@example.com", None, 42]
    )
    def test_refuses_a_bad_e_mail(self, world: World, email: object) -> None:
        refused(
            world,
            ValidationError,
            lambda: accounts.register(world.rt, NewAccount(email, PASSWORD)),
            error_code="invalid",
            field="email",
        )

    @pytest.mark.parametrize("password", ["short", "x" * 257, "ten chars\x00!", None, 1234567890])
    def test_refuses_a_bad_password(self, world: World, password: object) -> None:
        refused(
            world,
            ValidationError,
            lambda: accounts.register(world.rt, NewAccount("bob@example.com", password)),
            field="password",
        )


class TestLogin:
    def test_issues_a_session_token_that_authenticates(self, world: World) -> None:
        account = accounts.register(world.rt, NewAccount("ann@example.com", PASSWORD))

        issued = accounts.login(world.rt, Credentials("ann@example.com", PASSWORD))

        assert issued.token.kind is TokenKind.SESSION
        assert issued.token.expires_at == world.clock.now() + world.rt.policy.session_ttl
        with world.rt.uow() as uow:
            stored = uow.tokens.get(issued.token.id)
        assert stored is not None and stored.digest == token_digest(issued.secret)
        assert issued.secret not in repr(stored)
        assert accounts.authenticate(world.rt, issued.secret) == Actor(account.id, Role.CUSTOMER)

    @pytest.mark.parametrize(
        ("email", "password"),
        [
            ("ann@example.com", "wrong password!"),
            ("nobody@example.com", PASSWORD),
            ("not an email", PASSWORD),
            ("ann@example.com", ""),
            (None, PASSWORD),
            ("ann@example.com", None),
        ],
    )
    def test_any_wrong_pair_gets_the_same_refusal(
        self, world: World, email: object, password: object
    ) -> None:
        accounts.register(world.rt, NewAccount("ann@example.com", PASSWORD))
        err = refused(
            world,
            AuthenticationFailed,
            lambda: accounts.login(world.rt, Credentials(email, password)),
            error_code="unauthenticated",
        )
        assert err.message == "wrong e-mail or password"

    def test_a_disabled_account_cannot_log_in(self, world: World) -> None:
        account = accounts.register(world.rt, NewAccount("ann@example.com", PASSWORD))
        admin.set_account_disabled(world.rt, world.admin, account.id, disabled=True)
        refused(
            world,
            AuthenticationFailed,
            lambda: accounts.login(world.rt, Credentials("ann@example.com", PASSWORD)),
        )


class TestAuthenticate:
    # A secret is text: a header or a cookie carries nothing else.
    @pytest.mark.parametrize("secret", ["", "hp_unknown", "no-prefix", "hp_" + "x" * 300, "42"])
    def test_refuses_an_unknown_or_malformed_token(self, world: World, secret: str) -> None:
        refused(world, AuthenticationFailed, accounts.authenticate, world.rt, secret)

    def test_a_session_expires(self, world: World) -> None:
        accounts.register(world.rt, NewAccount("ann@example.com", PASSWORD))
        issued = accounts.login(world.rt, Credentials("ann@example.com", PASSWORD))
        world.clock.advance(world.rt.policy.session_ttl)
        refused(world, AuthenticationFailed, accounts.authenticate, world.rt, issued.secret)

    def test_a_token_of_a_disabled_account_stops_working(self, world: World) -> None:
        account = accounts.register(world.rt, NewAccount("ann@example.com", PASSWORD))
        issued = accounts.login(world.rt, Credentials("ann@example.com", PASSWORD))
        admin.set_account_disabled(world.rt, world.admin, account.id, disabled=True)
        refused(world, AuthenticationFailed, accounts.authenticate, world.rt, issued.secret)

    def test_records_use_at_most_once_a_minute(self, world: World) -> None:
        accounts.register(world.rt, NewAccount("ann@example.com", PASSWORD))
        issued = accounts.login(world.rt, Credentials("ann@example.com", PASSWORD))
        first = world.clock.now()
        accounts.authenticate(world.rt, issued.secret)
        world.clock.advance(30)
        accounts.authenticate(world.rt, issued.secret)
        with world.rt.uow() as uow:
            assert uow.tokens.get(issued.token.id).last_used_at == first  # type: ignore[union-attr]


class TestLogout:
    def test_ends_the_session(self, world: World) -> None:
        accounts.register(world.rt, NewAccount("ann@example.com", PASSWORD))
        issued = accounts.login(world.rt, Credentials("ann@example.com", PASSWORD))
        accounts.logout(world.rt, issued.secret)
        refused(world, AuthenticationFailed, accounts.authenticate, world.rt, issued.secret)

    @pytest.mark.parametrize("secret", ["hp_unknown", "", "42"])
    def test_an_unknown_secret_is_already_logged_out(self, world: World, secret: str) -> None:
        before = world.snapshot()
        accounts.logout(world.rt, secret)
        assert world.snapshot() == before


class TestPersonalTokens:
    def test_create_list_and_revoke(self, world: World, customer: Actor) -> None:
        issued = accounts.create_token(world.rt, customer, NewToken(" deploy ", expires_in_days=30))

        assert issued.token.name == "deploy"
        assert issued.token.kind is TokenKind.PERSONAL
        assert issued.token.expires_at == world.clock.now() + dt.timedelta(days=30)
        assert accounts.authenticate(world.rt, issued.secret) == customer
        assert [t.id for t in accounts.list_tokens(world.rt, customer)] == [issued.token.id]

        accounts.revoke_token(world.rt, customer, issued.token.id)

        assert accounts.list_tokens(world.rt, customer) == []
        refused(world, AuthenticationFailed, accounts.authenticate, world.rt, issued.secret)

    @pytest.mark.parametrize(
        ("fields", "field"),
        [
            ({"name": ""}, "name"),
            ({"name": "   "}, "name"),
            ({"name": "x" * 101}, "name"),
            ({"name": None}, "name"),
            ({"name": "ci", "expires_in_days": 0}, "expiresInDays"),
            ({"name": "ci", "expires_in_days": 3651}, "expiresInDays"),
            # "30" or 1.5 days: the edge refuses them (tests/http/test_commands.py)
        ],
    )
    def test_refuses_bad_input(
        self, world: World, customer: Actor, fields: dict[str, Any], field: str
    ) -> None:
        refused(
            world,
            ValidationError,
            lambda: accounts.create_token(world.rt, customer, NewToken(**fields)),
            field=field,
        )

    def test_refuses_more_tokens_than_the_limit(self, world: World, customer: Actor) -> None:
        for n in range(world.rt.policy.max_tokens_per_customer):
            accounts.create_token(world.rt, customer, NewToken(f"t{n}"))
        refused(
            world,
            RuleViolation,
            lambda: accounts.create_token(world.rt, customer, NewToken("one more")),
            field="name",
        )

    def test_cannot_revoke_someone_elses_token_or_a_session(
        self, world: World, customer: Actor
    ) -> None:
        stranger = world.customer()
        theirs = accounts.create_token(world.rt, stranger, NewToken("theirs"))
        with world.rt.uow() as uow:
            email = uow.accounts.get(customer.account_id).email  # type: ignore[union-attr]
        session = accounts.login(world.rt, Credentials(email, PASSWORD))

        for token_id in (theirs.token.id, session.token.id, 10_000, "1", None):
            refused(
                world,
                NotFound,
                accounts.revoke_token,
                world.rt,
                customer,
                token_id,
                error_code="not_found",
            )
        assert accounts.authenticate(world.rt, theirs.secret) == stranger
