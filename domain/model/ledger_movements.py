"""The movements of money the business makes, each one balanced transaction of the ledger
(ledger.py): a top-up, a bonus, an admin's adjustment, a hold and its capture or release, a usage
charge, a refund, and the reversal of any of them."""

from __future__ import annotations

import datetime as dt

from domain.model.errors import Conflict, ValidationError
from domain.model.ledger import AccountKind, LedgerAccount, Posting, Transaction, TxKind
from domain.model.money import Money


def _two(debit: LedgerAccount, credit: LedgerAccount, amount: Money) -> tuple[Posting, Posting]:
    if amount.micro <= 0:
        raise ValidationError("amount", "must be positive")
    if amount.currency != debit.currency:
        raise ValidationError("currency", f"must be {debit.currency}")
    return (Posting(debit, -amount.micro), Posting(credit, amount.micro))


def _sys(kind: AccountKind, currency: str) -> LedgerAccount:
    return LedgerAccount.system(kind, currency)


def top_up(
    customer_id: int, amount: Money, *, key: str, now: dt.datetime, memo: str = ""
) -> Transaction:
    wallet = LedgerAccount.wallet(customer_id, amount.currency)
    return Transaction(
        key,
        TxKind.TOP_UP,
        _two(_sys(AccountKind.PAYMENTS, amount.currency), wallet, amount),
        now,
        memo,
    )


def bonus(customer_id: int, amount: Money, *, key: str, now: dt.datetime, memo: str) -> Transaction:
    wallet = LedgerAccount.wallet(customer_id, amount.currency)
    return Transaction(
        key, TxKind.BONUS, _two(_sys(AccountKind.PROMO, amount.currency), wallet, amount), now, memo
    )


def adjustment(
    customer_id: int, amount: Money, *, key: str, now: dt.datetime, memo: str
) -> Transaction:
    """An admin's correction: positive credits the wallet, negative debits it (and may go below
    zero)."""
    if not memo.strip():
        raise ValidationError("reason", "is required for a balance adjustment")
    wallet = LedgerAccount.wallet(customer_id, amount.currency)
    source = _sys(AccountKind.ADJUSTMENTS, amount.currency)
    postings = _two(source, wallet, amount) if amount.micro > 0 else _two(wallet, source, -amount)
    return Transaction(key, TxKind.ADJUSTMENT, postings, now, memo)


def hold(
    customer_id: int,
    amount: Money,
    *,
    key: str,
    now: dt.datetime,
    server_id: int | None,
    memo: str = "",
) -> Transaction:
    wallet = LedgerAccount.wallet(customer_id, amount.currency)
    held = LedgerAccount.holds(customer_id, amount.currency)
    return Transaction(
        key,
        TxKind.HOLD,
        _two(wallet, held, amount),
        now,
        memo,
        customer_initiated=True,
        server_id=server_id,
    )


def capture(
    held: Transaction, amount: Money, *, now: dt.datetime, memo: str = ""
) -> list[Transaction]:
    """Settle a hold as revenue; a capture of less than was held releases the remainder."""
    customer_id = _hold_owner(held)
    reserved = held.amount
    if amount > reserved or amount.is_negative:
        raise ValidationError("amount", "cannot capture more than was held")
    settled: list[Transaction] = []
    holds = LedgerAccount.holds(customer_id, amount.currency)
    if amount.micro:
        settled.append(
            Transaction(
                f"{held.key}:capture",
                TxKind.CAPTURE,
                _two(holds, _sys(AccountKind.REVENUE, amount.currency), amount),
                now,
                memo,
                server_id=held.server_id,
                hold_key=held.key,
            )
        )
    if amount < reserved:
        settled.append(release(held, reserved - amount, now=now, memo="remainder of the hold"))
    return settled


def release(
    held: Transaction, amount: Money | None = None, *, now: dt.datetime, memo: str = ""
) -> Transaction:
    customer_id = _hold_owner(held)
    amount = held.amount if amount is None else amount
    holds = LedgerAccount.holds(customer_id, amount.currency)
    wallet = LedgerAccount.wallet(customer_id, amount.currency)
    return Transaction(
        f"{held.key}:release",
        TxKind.RELEASE,
        _two(holds, wallet, amount),
        now,
        memo,
        server_id=held.server_id,
        hold_key=held.key,
    )


def charge(
    customer_id: int,
    amount: Money,
    *,
    key: str,
    now: dt.datetime,
    memo: str,
    kind: TxKind = TxKind.CHARGE,
    server_id: int | None = None,
    catalogue_version: int | None = None,
) -> Transaction:
    """Move money from a wallet to revenue. USAGE charges are not customer-initiated: a server that
    existed is paid for even when the balance runs out (dunning takes it from there)."""
    wallet = LedgerAccount.wallet(customer_id, amount.currency)
    return Transaction(
        key,
        kind,
        _two(wallet, _sys(AccountKind.REVENUE, amount.currency), amount),
        now,
        memo,
        customer_initiated=kind is not TxKind.USAGE,
        server_id=server_id,
        catalogue_version=catalogue_version,
    )


def refund(
    customer_id: int,
    amount: Money,
    *,
    key: str,
    now: dt.datetime,
    memo: str,
    server_id: int | None = None,
) -> Transaction:
    wallet = LedgerAccount.wallet(customer_id, amount.currency)
    return Transaction(
        key,
        TxKind.REFUND,
        _two(_sys(AccountKind.REVENUE, amount.currency), wallet, amount),
        now,
        memo,
        server_id=server_id,
    )


def reversal(original: Transaction, *, now: dt.datetime, memo: str) -> Transaction:
    # Holds and their settlements move money through a hold's life cycle; undoing one would strand
    # money in a holds account that no release can reach. They are settled, never reversed.
    if original.kind in (TxKind.HOLD, TxKind.CAPTURE, TxKind.RELEASE, TxKind.REVERSAL):
        raise Conflict(f"a {original.kind.value} is settled, not reversed")
    negated = tuple(Posting(p.account, -p.amount) for p in original.postings)
    return Transaction(
        f"{original.key}:reversal",
        TxKind.REVERSAL,
        negated,
        now,
        memo,
        server_id=original.server_id,
        reverses=original.key,
    )


def _hold_owner(held: Transaction) -> int:
    if held.kind is not TxKind.HOLD:
        raise ValueError("not a hold")
    owner = next(
        p.account.customer_id for p in held.postings if p.account.kind is AccountKind.HOLDS
    )
    assert owner is not None
    return owner
