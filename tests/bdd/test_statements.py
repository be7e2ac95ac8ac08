"""Monthly statements (features/statements.feature), on the use cases over the fakes."""

from __future__ import annotations

import pytest
from pytest_bdd import parsers, scenarios, then, when

from domain.model.ledger import LedgerAccount
from domain.model.statements import Period, Statement
from domain.usecases.statements import StatementRequest, monthly_statement
from tests.bdd.steps.common import NAME, Outcome, Shop, attempt, same_money

scenarios("statements.feature")

MONTH = r"(?P<month>\d{4}-\d{2})"
AMOUNT = r"(?P<value>-?\d+\.\d+)"


@pytest.fixture
def read() -> list[tuple[str, Statement]]:
    """The statements read, in order: the last one is what "it" means."""
    return []


def _statement(shop: Shop, name: str, month: str) -> Statement:
    request = StatementRequest(Period.parse(month))
    return monthly_statement(shop.rt, shop.customer(name).actor, request)


def _ledger_money(shop: Shop, name: str) -> int:
    customer = shop.customer(name).id
    with shop.rt.uow() as uow:
        return uow.ledger.balance(LedgerAccount.wallet(customer, "RUB")) + uow.ledger.balance(
            LedgerAccount.holds(customer, "RUB")
        )


@when(parsers.re(rf"^{NAME} asks for (?:her|his) statement for {MONTH}$"), target_fixture="outcome")
def _asks(shop: Shop, name: str, month: str) -> Outcome:
    return attempt(lambda: _statement(shop, name, month))


@then(parsers.re(rf"^{NAME}'s statement for {MONTH} opens at {AMOUNT}$"))
def _opens_at(shop: Shop, read: list[tuple[str, Statement]], name: str, month: str, value: str):
    read.append((month, _statement(shop, name, month)))
    same_money(read[-1][1].opening, value)


@then(
    parsers.re(rf"^{NAME}'s statement for {MONTH} opens at the closing balance of (?P<before>.+)$")
)
def _opens_at_closing(
    shop: Shop, read: list[tuple[str, Statement]], name: str, month: str, before: str
) -> None:
    previous = dict(read)[before]
    read.append((month, _statement(shop, name, month)))
    assert read[-1][1].opening == previous.closing


@then(
    parsers.re(
        r'^it charges "(?P<server>[^"]+)" (?P<value>\d+\.\d+) for (?P<hours>\d+\.\d+) hours'
        r"(?:, its monthly price)?$"
    )
)
def _charges(
    shop: Shop, read: list[tuple[str, Statement]], server: str, value: str, hours: str
) -> None:
    [charged] = [c for c in read[-1][1].charges if c.server_id == shop.server_id(server)]
    same_money(charged.amount, value)
    assert f"{charged.seconds / 3600:.2f}" == hours


# The kinds of transaction each word on a statement stands for: money from outside came in as
# top-ups before the payment gateway, and as payments through it.
KINDS = {
    "payments": {"top_up", "payment"},
    "refunds": {"refund"},
    "adjustments": {"adjustment"},
    "promo credits": {"bonus"},
}


@then(parsers.re(rf"^it lists (?P<words>[a-z ]+) for {AMOUNT}$"))
def _lists(read: list[tuple[str, Statement]], words: str, value: str) -> None:
    groups = [g for g in read[-1][1].groups if g.kind in KINDS[words]]
    assert len(groups) == 1, [g.kind for g in read[-1][1].groups]
    same_money(groups[0].total, value)


def _adds_up(st: Statement) -> None:
    assert st.opening.micro + sum(line.amount.micro for line in st.lines) == st.closing.micro


@then(parsers.re(rf"^its lines add up to a closing balance of {AMOUNT}$"))
def _closing_of(read: list[tuple[str, Statement]], value: str) -> None:
    _adds_up(read[-1][1])
    same_money(read[-1][1].closing, value)


@then(parsers.re(rf"^that closing balance is {NAME}'s balance in the ledger$"))
@then(
    parsers.re(rf"^its lines add up to a closing balance that is {NAME}'s balance in the ledger$")
)
def _closing_is_ledger(shop: Shop, read: list[tuple[str, Statement]], name: str) -> None:
    _adds_up(read[-1][1])
    assert read[-1][1].closing.micro == _ledger_money(shop, name)
