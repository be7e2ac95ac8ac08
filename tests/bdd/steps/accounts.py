"""Registering, logging in and out, personal tokens."""

from __future__ import annotations

import pytest
from pytest_bdd import given, parsers, then, when

from domain.model.commands import Credentials, NewAccount, NewToken
from domain.model.errors import AuthenticationFailed
from domain.usecases import accounts
from domain.usecases.accounts import IssuedToken

from .common import NAME, PASSWORD, Outcome, Shop, attempt


@pytest.fixture
def login_attempts() -> list[Outcome]:
    return []


@when(
    parsers.parse('someone registers as "{email}" with the password "{password}"'),
    target_fixture="outcome",
)
def _register(shop: Shop, email: str, password: str) -> Outcome:
    return attempt(lambda: accounts.register(shop.rt, NewAccount(email, password)))


@then("the registration is accepted")
def _registration_accepted(outcome: Outcome) -> None:
    outcome.result()


@then(parsers.parse('"{email}" can log in with the password "{password}"'))
def _can_log_in(shop: Shop, email: str, password: str) -> None:
    issued = accounts.login(shop.rt, Credentials(email, password))
    actor = accounts.authenticate(shop.rt, issued.secret)
    assert actor.account_id == issued.token.account_id


@when(parsers.parse('someone logs in as "{email}" with the password "{password}"'))
def _log_in(shop: Shop, login_attempts: list[Outcome], email: str, password: str) -> None:
    login_attempts.append(attempt(lambda: accounts.login(shop.rt, Credentials(email, password))))


@then("both logins are refused with the same answer")
def _same_refusal(login_attempts: list[Outcome]) -> None:
    assert len(login_attempts) == 2
    first, second = (o.error for o in login_attempts)
    assert isinstance(first, AuthenticationFailed) and isinstance(second, AuthenticationFailed)
    assert (first.code, first.message, first.details) == (
        second.code,
        second.message,
        second.details,
    )


@given(parsers.re(rf"^{NAME} is logged in$"), target_fixture="session")
def _logged_in(shop: Shop, name: str) -> IssuedToken:
    return accounts.login(shop.rt, Credentials(shop.customer(name).email, PASSWORD))


@when(parsers.re(rf"^{NAME} logs out$"))
def _log_out(shop: Shop, session: IssuedToken, name: str) -> None:
    accounts.logout(shop.rt, session.secret)


@then(parsers.re(rf"^{NAME}'s session no longer works$"))
def _session_gone(shop: Shop, session: IssuedToken, name: str) -> None:
    with pytest.raises(AuthenticationFailed):
        accounts.authenticate(shop.rt, session.secret)


@given(
    parsers.re(rf'^{NAME} has a personal token named "(?P<label>[^"]+)"$'),
    target_fixture="personal_token",
)
def _has_token(shop: Shop, name: str, label: str) -> IssuedToken:
    return accounts.create_token(shop.rt, shop.customer(name).actor, NewToken(label))


@given(parsers.parse('the token "{label}" works'))
@then(parsers.parse('the token "{label}" works'))
def _token_works(shop: Shop, personal_token: IssuedToken, label: str) -> None:
    assert personal_token.token.name == label
    actor = accounts.authenticate(shop.rt, personal_token.secret)
    assert actor.account_id == personal_token.token.account_id


@then(parsers.parse('the token "{label}" no longer works'))
def _token_dead(shop: Shop, personal_token: IssuedToken, label: str) -> None:
    assert personal_token.token.name == label
    with pytest.raises(AuthenticationFailed):
        accounts.authenticate(shop.rt, personal_token.secret)


@when(parsers.re(rf'^{NAME} revokes the token "(?P<label>[^"]+)"$'), target_fixture="outcome")
def _revoke_own(shop: Shop, personal_token: IssuedToken, name: str, label: str) -> Outcome:
    assert personal_token.token.name == label
    return attempt(
        lambda: accounts.revoke_token(shop.rt, shop.customer(name).actor, personal_token.token.id)
    )


@when(
    parsers.re(rf"^{NAME} revokes (?P<owner>[A-Z][a-z]+)'s token \"(?P<label>[^\"]+)\"$"),
    target_fixture="outcome",
)
def _revoke_other(
    shop: Shop, personal_token: IssuedToken, name: str, owner: str, label: str
) -> Outcome:
    assert personal_token.token.name == label
    assert personal_token.token.account_id == shop.customer(owner).id
    return attempt(
        lambda: accounts.revoke_token(shop.rt, shop.customer(name).actor, personal_token.token.id)
    )
