"""The double-entry ledger.

Every movement of money is a Transaction of postings that sum to zero. A posting credits an account
when positive and debits it when negative, so an account's balance is the sum of its postings and
the sum over all accounts is always zero: money never appears or disappears, it only moves.

Accounts per customer: a WALLET (the prepaid balance) and a HOLDS account (funds reserved while a
server is being provisioned). System accounts: REVENUE, PROMO (what bonuses and discounts cost us),
PAYMENTS (money that came in from outside) and ADJUSTMENTS (an admin's corrections).

Transactions are never edited or deleted. A mistake is undone by a reversal: a new transaction with
every posting negated.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Iterable

import attrs

from domain.model.errors import Conflict, InsufficientFunds
from domain.model.money import Money


class AccountKind(enum.Enum):
    WALLET = "wallet"
    HOLDS = "holds"
    REVENUE = "revenue"
    PROMO = "promo"
    PAYMENTS = "payments"
    ADJUSTMENTS = "adjustments"

    @property
    def per_customer(self) -> bool:
        return self in (AccountKind.WALLET, AccountKind.HOLDS)


@attrs.frozen(order=True)
class LedgerAccount:
    kind: AccountKind = attrs.field(order=lambda k: k.value)
    currency: str
    customer_id: int | None = None

    def __attrs_post_init__(self) -> None:
        if self.kind.per_customer != (self.customer_id is not None):
            verb = "needs" if self.kind.per_customer else "takes no"
            raise ValueError(f"{self.kind.value} account {verb} customer")

    @classmethod
    def wallet(cls, customer_id: int, currency: str) -> LedgerAccount:
        return cls(AccountKind.WALLET, currency, customer_id)

    @classmethod
    def holds(cls, customer_id: int, currency: str) -> LedgerAccount:
        return cls(AccountKind.HOLDS, currency, customer_id)

    @classmethod
    def system(cls, kind: AccountKind, currency: str) -> LedgerAccount:
        return cls(kind, currency)

    @property
    def key(self) -> str:
        suffix = f":{self.customer_id}" if self.customer_id is not None else ""
        return f"{self.kind.value}:{self.currency}{suffix}"


@attrs.frozen
class Posting:
    account: LedgerAccount
    amount: int  # micro-units; > 0 credits the account, < 0 debits it

    def __attrs_post_init__(self) -> None:
        if type(self.amount) is not int or self.amount == 0:
            raise ValueError("a posting moves a non-zero int of micro-units")


class TxKind(enum.Enum):
    TOP_UP = "top_up"
    BONUS = "bonus"
    HOLD = "hold"
    CAPTURE = "capture"
    RELEASE = "release"
    CHARGE = "charge"  # a one-off charge the customer asked for
    USAGE = "usage"  # metered existence of a server
    REFUND = "refund"
    ADJUSTMENT = "adjustment"
    REVERSAL = "reversal"
    PAYMENT = "payment"  # a top-up through the payment gateway (domain/model/payments.py)
    PAYMENT_REFUND = "payment_refund"  # the gateway gave (part of) a payment back


@attrs.frozen
class Transaction:
    """A balanced set of postings. `key` makes posting idempotent: the same key is the same
    movement."""

    key: str
    kind: TxKind
    postings: tuple[Posting, ...]
    created_at: dt.datetime
    memo: str = ""
    customer_initiated: bool = False  # such a transaction may never take a wallet below zero
    server_id: int | None = None
    hold_key: str | None = None  # for CAPTURE and RELEASE: the HOLD they settle
    reverses: str | None = None
    catalogue_version: int | None = None

    def __attrs_post_init__(self) -> None:
        if not self.key or len(self.key) > 200:
            raise ValueError("a transaction needs a key of at most 200 characters")
        if len(self.postings) < 2:
            raise ValueError("a transaction has at least two postings")
        if len({p.account.currency for p in self.postings}) != 1:
            raise ValueError("a transaction moves one currency")
        if sum(p.amount for p in self.postings) != 0:
            raise ValueError("postings of a transaction must sum to zero")

    @property
    def currency(self) -> str:
        return self.postings[0].account.currency

    @property
    def amount(self) -> Money:
        """The size of the movement: the sum of its credits."""
        return Money(sum(p.amount for p in self.postings if p.amount > 0), self.currency)

    def change_for(self, account: LedgerAccount) -> int:
        return sum(p.amount for p in self.postings if p.account == account)

    def same_movement(self, other: Transaction) -> bool:
        """True when `other` is a retry of this transaction rather than a different one under its
        key."""
        return (
            self.kind,
            sorted(self.postings, key=_posting_order),
            self.server_id,
            self.hold_key,
        ) == (
            other.kind,
            sorted(other.postings, key=_posting_order),
            other.server_id,
            other.hold_key,
        )


def _posting_order(p: Posting) -> tuple[str, int]:
    return (p.account.key, p.amount)


def check_postable(
    tx: Transaction,
    balance_of: Callable[[LedgerAccount], int],
    unsettled_of_hold: Callable[[str], int],
) -> None:
    """The rules a ledger store enforces atomically when it posts `tx`.

    - A customer-initiated transaction may not take any wallet below zero.
    - A hold is settled (captured or released) at most up to what it reserved, and a holds account
      never goes below zero; `unsettled_of_hold(key)` is what is still reserved under that hold.
    """
    if tx.hold_key is not None and tx.amount.micro > unsettled_of_hold(tx.hold_key):
        raise Conflict("the hold is already settled", hold=tx.hold_key)
    for account in {p.account for p in tx.postings}:
        change = tx.change_for(account)
        if change >= 0:
            continue
        after = balance_of(account) + change
        if account.kind is AccountKind.WALLET and tx.customer_initiated and after < 0:
            raise InsufficientFunds(
                "the balance does not cover this amount",
                required=Money(-change, tx.currency).format(),
                available=Money(max(balance_of(account), 0), tx.currency).format(),
                currency=tx.currency,
            )
        if account.kind is AccountKind.HOLDS and after < 0:
            raise Conflict("a hold cannot settle more than it reserved")


def balances(transactions: Iterable[Transaction]) -> dict[LedgerAccount, int]:
    """Every account's balance from scratch: the ledger's ground truth, used to audit cached
    balances."""
    totals: dict[LedgerAccount, int] = {}
    for tx in transactions:
        for p in tx.postings:
            totals[p.account] = totals.get(p.account, 0) + p.amount
    return totals
