"""Scoped personal access tokens: what a token may do, as the API's edge asks the domain."""

from __future__ import annotations

import pytest
from pytest_bdd import given, parsers, then, when

from domain.model.errors import DomainError
from domain.model.scopes import InsufficientScope, Scope, Scopes, allows, require
from domain.model.values import TokenName
from domain.usecases import accounts
from domain.usecases.accounts import IssuedToken
from domain.usecases.scoped_tokens import CreateToken, create_token

from .common import NAME, Outcome, Shop, attempt


def _scopes(listed: str) -> Scopes:
    return Scopes.named(s.strip() for s in listed.split(","))


@pytest.fixture
def named_tokens() -> dict[str, IssuedToken]:
    return {}


@when(
    parsers.re(rf'^{NAME} creates a token "(?P<label>[^"]+)" with the scopes "(?P<listed>[^"]+)"$'),
    target_fixture="outcome",
)
def _create(shop: Shop, name: str, label: str, listed: str) -> Outcome:
    command = CreateToken(TokenName(label), scopes=_scopes(listed))
    return attempt(lambda: create_token(shop.rt, shop.customer(name).actor, command))


@when(
    parsers.re(rf'^{NAME} creates a token "(?P<label>[^"]+)" without scopes$'),
    target_fixture="outcome",
)
def _create_full(shop: Shop, name: str, label: str) -> Outcome:
    command = CreateToken(TokenName(label))
    return attempt(lambda: create_token(shop.rt, shop.customer(name).actor, command))


@given(parsers.re(rf'^{NAME} has a token "(?P<label>[^"]+)" with the scopes "(?P<listed>[^"]+)"$'))
def _has(
    shop: Shop, named_tokens: dict[str, IssuedToken], name: str, label: str, listed: str
) -> None:
    command = CreateToken(TokenName(label), scopes=_scopes(listed))
    named_tokens[label] = create_token(shop.rt, shop.customer(name).actor, command)


@when(
    parsers.re(
        r'^the token "(?P<label>[^"]+)" creates a token with the scopes "(?P<listed>[^"]+)"$'
    ),
    target_fixture="outcome",
)
def _token_creates(
    shop: Shop, named_tokens: dict[str, IssuedToken], label: str, listed: str
) -> Outcome:
    actor = accounts.authenticate(shop.rt, named_tokens[label].secret)
    command = CreateToken(TokenName("made by a token"), scopes=_scopes(listed))
    return attempt(lambda: create_token(shop.rt, actor, command))


def _held(shop: Shop, outcome: Outcome) -> frozenset[Scope]:
    issued: IssuedToken = outcome.result()
    return accounts.authenticate(shop.rt, issued.secret).scopes


@then(parsers.re(r'^the (?:new )?token may use "(?P<scope>[^"]+)"$'))
def _may(shop: Shop, outcome: Outcome, scope: str) -> None:
    assert allows(_held(shop, outcome), Scope(scope))


@then(parsers.re(r'^the token is refused "(?P<scope>[^"]+)", naming it$'))
def _refused(shop: Shop, outcome: Outcome, scope: str) -> None:
    with pytest.raises(InsufficientScope) as refused:
        require(_held(shop, outcome), Scope(scope))
    assert refused.value.details == {"scope": scope}
    assert isinstance(refused.value, DomainError) and refused.value.code == "insufficient_scope"
