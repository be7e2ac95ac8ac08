"""What a personal access token may do: its scopes.

A token holds a set of scopes; each API operation needs exactly one (entrypoints/http/app.py
declares which, next to the route table). `*` is full access: every login session has it, and so
does every token made before scopes existed. A write scope includes its read scope, as on the
hosting APIs customers know (Hetzner's read & write tokens): a token that may stop a server may
also see it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

import attrs

from domain.model.errors import PermissionDenied, RuleViolation


class Scope(enum.StrEnum):
    ALL = "*"
    SERVERS_READ = "servers:read"
    SERVERS_WRITE = "servers:write"
    BILLING_READ = "billing:read"
    BILLING_WRITE = "billing:write"
    TICKETS = "tickets"
    ACCOUNT = "account"
    ADMIN = "admin"


FULL_ACCESS: frozenset[Scope] = frozenset({Scope.ALL})
_INCLUDED: dict[Scope, Scope] = {
    Scope.SERVERS_WRITE: Scope.SERVERS_READ,
    Scope.BILLING_WRITE: Scope.BILLING_READ,
}


class InsufficientScope(PermissionDenied):
    """The token is valid but was not given the scope this operation needs (403, naming it)."""

    code = "insufficient_scope"

    def __init__(self, scope: Scope) -> None:
        super().__init__(
            f"this token lacks the scope {scope.value}; create a token with it", scope=scope.value
        )
        self.scope = scope


def effective(held: Iterable[Scope]) -> frozenset[Scope]:
    """The scopes held, with the read scope each write scope includes."""
    scopes = frozenset(held)
    return scopes | {_INCLUDED[s] for s in scopes if s in _INCLUDED}


def allows(held: frozenset[Scope], needed: Scope) -> bool:
    return Scope.ALL in held or needed in effective(held)


def require(held: frozenset[Scope], needed: Scope) -> None:
    if not allows(held, needed):
        raise InsufficientScope(needed)


def covers(held: frozenset[Scope], wanted: frozenset[Scope]) -> bool:
    """Whether a token with `held` may make one with `wanted`: never one that can do more."""
    if Scope.ALL in held:
        return True
    return Scope.ALL not in wanted and wanted <= effective(held)


@attrs.frozen
class Scopes:
    """A token's scopes as asked for: known names, at least one, `*` alone or not at all."""

    held: frozenset[Scope] = attrs.field(default=FULL_ACCESS, validator=attrs.validators.min_len(1))

    @classmethod
    def named(cls, names: Iterable[str], *, field: str = "scopes") -> Scopes:
        known = {s.value: s for s in Scope}
        chosen: set[Scope] = set()
        for name in names:
            if name not in known:
                raise RuleViolation(
                    field, f"names an unknown scope {name!r}; known: {', '.join(known)}"
                )
            chosen.add(known[name])
        if not chosen:
            raise RuleViolation(field, "must name at least one scope")
        if Scope.ALL in chosen and len(chosen) > 1:
            raise RuleViolation(field, "`*` is full access: give it alone")
        return cls(frozenset(chosen))
