"""The statement use case: whose statement, and the money held at its close."""

from __future__ import annotations

import pytest

from domain.model.accounts import Role
from domain.model.errors import NotFound, PermissionDenied
from domain.model.statements import Period
from domain.usecases.actors import Actor
from domain.usecases.statements import StatementRequest, monthly_statement
from tests.usecases.support import World

JANUARY = Period(2026, 1)  # the world's clock starts on 2026-01-15


def test_money_held_for_an_order_being_built_is_in_the_closing_balance_and_said_so(
    world: World, customer: Actor
) -> None:
    world.hold_jobs()
    world.order(customer)  # its first charge is held until the server is built
    assert world.held(customer) > 0

    st = monthly_statement(world.rt, customer, StatementRequest(JANUARY))

    assert st.closing.micro == world.wallet(customer) + world.held(customer)
    assert st.closing_held is not None and st.closing_held.micro == world.held(customer)
    assert st.charges == ()  # a hold is not a charge: nothing was taken yet
    assert st.holder.endswith("@example.com")


def test_only_an_admin_reads_another_customers_statement(
    world: World, customer: Actor, stranger: Actor
) -> None:
    with pytest.raises(PermissionDenied):
        monthly_statement(world.rt, stranger, StatementRequest(JANUARY, customer.account_id))


def test_an_admin_reads_anyones_and_an_unknown_customer_is_not_found(
    world: World, customer: Actor
) -> None:
    admin = world.register(role=Role.ADMIN)

    theirs = monthly_statement(world.rt, admin, StatementRequest(JANUARY, customer.account_id))
    own = monthly_statement(world.rt, customer, StatementRequest(JANUARY))

    assert theirs == own
    with pytest.raises(NotFound):
        monthly_statement(world.rt, admin, StatementRequest(JANUARY, 999_999))
