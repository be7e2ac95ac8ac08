"""Monthly statements: a customer's own, or any customer's for an admin (domain/model/statements.py
says what one holds)."""

from __future__ import annotations

import attrs

from domain.model.money import Money
from domain.model.statements import (
    Period,
    ServerLife,
    Statement,
    build_statement,
    customer_money,
)
from domain.usecases.actors import Actor, account_of
from domain.usecases.runtime import Runtime


@attrs.frozen
class StatementRequest:
    period: Period
    customer_id: int | None = None  # None: the caller's own; anyone else's needs an admin


def monthly_statement(rt: Runtime, actor: Actor, request: StatementRequest) -> Statement:
    customer_id = request.customer_id
    if customer_id is None:
        customer_id = actor.account_id
    else:
        actor.require_admin()
    period = request.period
    end = period.until(rt.clock.now())
    with rt.uow() as uow:
        account = account_of(uow, customer_id)
        accounts = customer_money(account.id, account.currency)
        opening = uow.ledger_history.funds_before(accounts, period.start)
        # The whole month, even while under way: a charge posted this very moment is in it.
        movements = uow.ledger_history.movements(accounts, period.start, period.end)
        held = uow.ledger_history.funds_before(accounts[-1:], period.end)  # the holds
        servers = [
            ServerLife(s.id, s.name, s.created_at, s.deleted_at)
            for s in uow.servers.for_owner(account.id, include_deleted=True)
        ]
    built = build_statement(
        account.id, period, end, Money(opening, account.currency), movements, servers
    )
    return attrs.evolve(built, holder=account.email, closing_held=Money(held, account.currency))
