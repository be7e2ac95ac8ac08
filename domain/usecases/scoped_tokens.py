"""Personal access tokens with scopes: a token never makes one that can do more than itself.

The token's name is domain/model/values.py's TokenName (already stripped and checked)."""

from __future__ import annotations

import attrs

from domain.model.commands import NewToken
from domain.model.errors import RuleViolation
from domain.model.scopes import InsufficientScope, Scope, Scopes, covers, effective
from domain.model.values import TokenName
from domain.usecases import accounts
from domain.usecases.accounts import IssuedToken
from domain.usecases.actors import Actor
from domain.usecases.runtime import Runtime


@attrs.frozen
class ValidDays:
    days: int

    def __attrs_post_init__(self) -> None:
        if type(self.days) is not int or not 1 <= self.days <= 3650:
            raise RuleViolation("expiresInDays", "must be a whole number of days within 1..3650")


@attrs.frozen
class CreateToken:
    name: TokenName
    expires_in_days: ValidDays | None = None
    scopes: Scopes = Scopes()  # full access unless asked for less, as before scopes existed


def create_token(rt: Runtime, actor: Actor, command: CreateToken) -> IssuedToken:
    wanted = command.scopes.held
    if Scope.ADMIN in wanted and not actor.is_admin:
        raise RuleViolation("scopes", "admin is for administrators' tokens")
    if not covers(actor.scopes, wanted):
        missing = sorted(effective(wanted) - effective(actor.scopes)) or [Scope.ALL]
        raise InsufficientScope(missing[0])
    days = command.expires_in_days.days if command.expires_in_days else None
    return accounts.create_token(rt, actor, NewToken(command.name, days), scopes=wanted)
