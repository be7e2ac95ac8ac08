"""Which scope each API operation needs, as declared next to the route table (app.py).

A route is declared with one scope for every method, or with a `ReadWrite` pair: GET (and HEAD)
needs its read scope, every other method its write scope. Public routes take no token and are
declared `PUBLIC`. A route someone forgot to declare needs full access (`*`): it fails closed for
scoped tokens and keeps working for sessions, and the route-table test names it.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from domain.model.scopes import Scope

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@attrs.frozen
class ReadWrite:
    read: Scope
    write: Scope


RouteScope = Scope | ReadWrite | None
PUBLIC: RouteScope = None
SERVERS = ReadWrite(Scope.SERVERS_READ, Scope.SERVERS_WRITE)
BILLING = ReadWrite(Scope.BILLING_READ, Scope.BILLING_WRITE)


@attrs.frozen
class ScopeTable:
    by_route: Mapping[str, RouteScope]

    def needed(self, template: str, method: str) -> Scope | None:
        """The one scope an operation needs; None for a public route."""
        if template not in self.by_route:
            return Scope.ALL
        declared = self.by_route[template]
        if isinstance(declared, ReadWrite):
            return declared.read if method.upper() in READ_METHODS else declared.write
        return declared
