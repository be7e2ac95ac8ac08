"""Money: balances, holds, revenue, corrections, the billing run, payments and dunning."""

from __future__ import annotations

import datetime as dt
import re

from pytest_bdd import given, parsers, then, when

from domain.model.commands import BalanceAdjustment, Refund, Reversal
from domain.model.dunning import Standing
from domain.model.ledger import AccountKind, LedgerAccount, Transaction, TxKind, balances
from domain.model.money import Money
from domain.usecases import billing, corrections, dunning, money
from domain.usecases.billing import BillingReport
from ports.paging import Page

from .common import CURRENCY, NAME, Outcome, Shop, attempt, same_money

MONEY = r"(?P<value>-?\d+\.\d+)"
SERVER = r'"(?P<server>[^"]+)"'
REASON = r'"(?P<reason>[^"]+)"'
STANDING = r"(?P<standing>active|low on balance|restricted|suspended|terminated)"


def statement(shop: Shop, name: str) -> list[Transaction]:
    """Every movement of the customer's, newest first."""
    txs, total = money.list_transactions(shop.rt, shop.customer(name).actor, Page(1, 100))
    assert total == len(txs), "the statement does not fit one page"
    return txs


def wallet_change(tx: Transaction, customer_id: int) -> Money:
    return Money(tx.change_for(LedgerAccount.wallet(customer_id, CURRENCY)), CURRENCY)


# --- balances ------------------------------------------------------------------------------------


@then(parsers.re(rf"^{NAME}'s balance is {MONEY} with (?:nothing held|(?P<held>\d+\.\d+) held)$"))
def _balance(shop: Shop, name: str, value: str, held: str | None) -> None:
    view = money.get_balance(shop.rt, shop.customer(name).actor)
    same_money(view.balance, value)
    same_money(view.held, held or "0.00")


@then(parsers.re(rf"^the provider has earned {MONEY}$"))
def _revenue(shop: Shop, value: str) -> None:
    with shop.store.uow() as uow:
        earned = uow.ledger.balance(LedgerAccount.system(AccountKind.REVENUE, CURRENCY))
    same_money(Money(earned, CURRENCY), value)


# --- an administrator's corrections --------------------------------------------------------------


def last_usage_charge(shop: Shop, name: str, server: str) -> Transaction:
    server_id = shop.server_id(server)
    usage = [
        tx for tx in statement(shop, name) if tx.kind is TxKind.USAGE and tx.server_id == server_id
    ]
    assert usage, f"{name} has no usage charge for {server}"
    return usage[0]


def refund_last_usage(shop: Shop, name: str, server: str, reason: str) -> Outcome:
    key = last_usage_charge(shop, name, server).key
    return attempt(lambda: corrections.refund_charge(shop.rt, shop.admin, Refund(key, reason)))


@when(
    parsers.re(
        rf"^an administrator refunds {NAME}'s last usage charge for {SERVER} because {REASON}$"
    ),
    target_fixture="outcome",
)
def _refund(shop: Shop, name: str, server: str, reason: str) -> Outcome:
    return refund_last_usage(shop, name, server, reason)


@given(
    parsers.re(
        rf"^an administrator refunded {NAME}'s last usage charge for {SERVER} because {REASON}$"
    )
)
def _refunded(shop: Shop, name: str, server: str, reason: str) -> None:
    refund_last_usage(shop, name, server, reason).result()


@when(
    parsers.re(rf'^an administrator credits {NAME} {MONEY} because "(?P<reason>[^"]+)"$'),
    target_fixture="credit",
)
def _credit(shop: Shop, name: str, value: str, reason: str) -> Transaction:
    return money.adjust_balance(
        shop.rt,
        shop.admin,
        BalanceAdjustment(shop.customer(name).id, value, reason, request_key="credit-1"),
    )


@when(parsers.re(r'^the administrator reverses that credit because "(?P<reason>[^"]+)"$'))
def _reverse(shop: Shop, credit: Transaction, reason: str) -> None:
    corrections.reverse_transaction(shop.rt, shop.admin, Reversal(credit.key, reason))


@then(parsers.re(rf"^{NAME}'s statement reads, newest first:$"))
def _statement(shop: Shop, name: str, datatable: list[list[str]]) -> None:
    header, *rows = datatable
    assert header == ["movement", "amount"]
    customer_id = shop.customer(name).id
    actual = [
        [tx.kind.value, wallet_change(tx, customer_id).format()] for tx in statement(shop, name)
    ]
    assert actual == rows


@then("every movement in the books takes from one account exactly what it gives to another")
def _books_balanced(shop: Shop) -> None:
    with shop.store.uow() as uow:
        txs = list(uow.ledger.all())
        accounts = {p.account for tx in txs for p in tx.postings}
        total = sum(uow.ledger.balance(account) for account in accounts)
    assert len(txs) > 5, "a busy day leaves more than a few movements"
    for tx in txs:
        debits = -sum(p.amount for p in tx.postings if p.amount < 0)
        credits = sum(p.amount for p in tx.postings if p.amount > 0)
        assert debits == credits > 0, tx
    assert total == 0, f"the books are off by {total} micro-units"


@then("every balance is the sum of the movements of its account")
def _balances_derived(shop: Shop) -> None:
    with shop.store.uow() as uow:
        derived = balances(uow.ledger.all())
        kept = {account: uow.ledger.balance(account) for account in derived}
    assert kept == derived
    assert any(account.kind is AccountKind.WALLET and value for account, value in derived.items())


# --- the billing run -----------------------------------------------------------------------------


@given("the billing run happens", target_fixture="billing_report")
@when("the billing run happens", target_fixture="billing_report")
def _billing_run(shop: Shop) -> BillingReport:
    return billing.billing_run(shop.rt)


@then(parsers.re(rf"^the billing run charges {MONEY}$"))
def _billing_charged(billing_report: BillingReport, value: str) -> None:
    same_money(Money(billing_report.charged_micro, CURRENCY), value)


@then(parsers.re(rf"^{NAME}'s last usage charge for {SERVER} is {MONEY}$"))
def _last_usage(shop: Shop, name: str, server: str, value: str) -> None:
    same_money(last_usage_charge(shop, name, server).amount, value)


_PERIOD_START = re.compile(r"(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) to ")


def billed_month(tx: Transaction) -> tuple[int, int]:
    """The month a charge pays for: the period its statement line names, else when it was made."""
    found = _PERIOD_START.search(tx.memo)
    moment = dt.datetime.strptime(found.group(1), "%Y-%m-%d %H:%M:%S") if found else tx.created_at
    return moment.year, moment.month


@then(
    parsers.re(
        rf"^{NAME} has paid {MONEY} for {SERVER} in (?P<month>[A-Z][a-z]+) (?P<year>\d{{4}})$"
    )
)
def _paid_for_month(shop: Shop, name: str, value: str, server: str, month: str, year: str) -> None:
    server_id = shop.server_id(server)
    wanted = (int(year), dt.datetime.strptime(month, "%B").month)
    customer_id = shop.customer(name).id
    paid = Money.zero(CURRENCY)
    for tx in statement(shop, name):
        if tx.server_id != server_id or billed_month(tx) != wanted:
            continue
        if tx.kind is TxKind.USAGE:
            paid = paid - wallet_change(tx, customer_id)
        elif tx.kind is TxKind.CAPTURE:
            paid = paid + tx.amount
    same_money(paid, value)


# --- dunning (payments: steps/payments.py) --------------------------------------------------------


@given("the dunning run happens")
@when("the dunning run happens")
def _dunning_run(shop: Shop) -> None:
    dunning.dunning_run(shop.rt)


@given("the billing and dunning runs happen")
@when("the billing and dunning runs happen")
def _billing_and_dunning(shop: Shop) -> None:
    billing.billing_run(shop.rt)
    dunning.dunning_run(shop.rt)


STANDINGS = {
    "active": Standing.ACTIVE,
    "low on balance": Standing.LOW_BALANCE,
    "restricted": Standing.RESTRICTED,
    "suspended": Standing.SUSPENDED,
    "terminated": Standing.TERMINATED,
}


@given(parsers.re(rf"^{NAME}'s account is {STANDING}$"))
@then(parsers.re(rf"^{NAME}'s account is {STANDING}$"))
def _standing(shop: Shop, name: str, standing: str) -> None:
    assert money.get_balance(shop.rt, shop.customer(name).actor).standing is STANDINGS[standing]
