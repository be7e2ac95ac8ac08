"""Balance, transactions and an admin's corrections (top-ups: domain/usecases/payments.py)."""

from __future__ import annotations

import hashlib

import attrs

from domain.model.accounts import Account
from domain.model.commands import BalanceAdjustment
from domain.model.dunning import Standing
from domain.model.errors import ValidationError
from domain.model.ledger import LedgerAccount, Transaction
from domain.model.ledger_movements import adjustment
from domain.model.money import Money
from domain.usecases.actors import Actor, account_of
from domain.usecases.dunning import reassess_account
from domain.usecases.paper_trail import audit
from domain.usecases.runtime import Runtime
from ports.paging import Page


@attrs.frozen
class BalanceView:
    balance: Money
    held: Money  # reserved for orders being provisioned
    hourly_burn: Money
    standing: Standing


def get_balance(rt: Runtime, actor: Actor) -> BalanceView:
    with rt.uow() as uow:
        account = account_of(uow, actor.account_id)
        wallet = LedgerAccount.wallet(account.id, account.currency)
        holds = LedgerAccount.holds(account.id, account.currency)
        balances = uow.ledger.balances((wallet, holds))
        return BalanceView(
            Money(balances[wallet], account.currency),
            Money(balances[holds], account.currency),
            Money(uow.servers.hourly_burn(account.id), account.currency),
            account.standing,
        )


def list_transactions(rt: Runtime, actor: Actor, page: Page) -> tuple[list[Transaction], int]:
    with rt.uow() as uow:
        return uow.ledger.for_customer(actor.account_id, page)


def adjust_balance(rt: Runtime, actor: Actor, command: BalanceAdjustment) -> Transaction:
    """An admin credits (or debits) a customer's balance, with a reason; a retried request (the
    same `request_key`) posts once."""
    actor.require_admin()
    now = rt.clock.now()
    reason = command.reason.text
    with rt.uow() as uow:
        account = account_of(uow, command.customer_id)
        credit = command.amount.money(account.currency)
        value = -credit if command.debit else credit
        tx = uow.ledger.post(
            adjustment(
                account.id,
                value,
                key=_adjustment_key(account.id, command.request_key),
                now=now,
                memo=reason,
            )
        )
        audit(
            uow,
            actor,
            "balance.adjust",
            f"account:{account.id}",
            now,
            amount=value,
            reason=reason,
        )
        uow.commit()
    reassess_account(rt, account.id)
    return tx


def _adjustment_key(customer_id: int, request_key: str) -> str:
    # An Idempotency-Key may be 255 characters and a ledger key only 200: a long request key is
    # replaced by its digest, which keeps one key per request, so a retry still posts once.
    key = f"adjust:{customer_id}:{request_key}"
    if len(key) <= 100:
        return key
    return f"adjust:{customer_id}:sha256:{hashlib.sha256(request_key.encode()).hexdigest()}"


def _check_currency(account: Account, value: Money) -> Money:
    # Wallets are per currency: money in another one would land in a balance the customer never
    # sees.
    if value.currency != account.currency:
        raise ValidationError("currency", f"must be {account.currency}", currency=value.currency)
    return value
