"""Balance, transactions, payments and an admin's corrections."""

from __future__ import annotations

import hashlib

import attrs

from domain.model.accounts import Account
from domain.model.dunning import Standing
from domain.model.errors import ValidationError
from domain.model.ledger import LedgerAccount, Transaction
from domain.model.ledger_movements import adjustment, top_up
from domain.model.money import Money
from domain.usecases.common import Actor, account_of, audit, wallet_balance
from domain.usecases.dunning import reassess_account
from domain.usecases.runtime import Runtime
from ports.messaging import PaymentGateway
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
        held = uow.ledger.balance(LedgerAccount.holds(account.id, account.currency))
        burn = Money.zero(account.currency)
        for server in uow.servers.for_owner(account.id):
            if server.billable:
                burn = burn + server.meter.hourly
        return BalanceView(
            wallet_balance(uow, account), Money(held, account.currency), burn, account.standing
        )


def list_transactions(rt: Runtime, actor: Actor, page: Page) -> tuple[list[Transaction], int]:
    with rt.uow() as uow:
        return uow.ledger.for_customer(actor.account_id, page)


def adjust_balance(
    rt: Runtime,
    actor: Actor,
    *,
    customer_id: object,
    amount: object,
    reason: object,
    request_key: str,
) -> Transaction:
    """An admin credits (positive) or debits (negative) a customer's balance, with a reason.

    `request_key` makes a retried request post once (the HTTP layer passes the Idempotency-Key)."""
    actor.require_admin()
    if not isinstance(reason, str) or not 3 <= len(reason.strip()) <= 500:
        raise ValidationError("reason", "must be 3-500 characters")
    if type(customer_id) is not int:
        raise ValidationError("customerId", "must be an integer id")
    now = rt.clock.now()
    with rt.uow() as uow:
        account = account_of(uow, customer_id)
        value = Money.parse(amount, account.currency) if isinstance(amount, str) else amount
        if not isinstance(value, Money) or value.is_zero:
            raise ValidationError("amount", 'must be a non-zero decimal string such as "100.00"')
        _check_currency(account, value)
        tx = uow.ledger.post(
            adjustment(
                account.id,
                value,
                key=_adjustment_key(account.id, request_key),
                now=now,
                memo=reason.strip(),
            )
        )
        audit(
            uow,
            actor,
            "balance.adjust",
            f"account:{account.id}",
            now,
            amount=value,
            reason=reason.strip(),
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


def record_payment(
    rt: Runtime, gateway: PaymentGateway, *, customer_id: int, reference: object
) -> Transaction:
    """Credit a completed payment once, however often its confirmation arrives."""
    if not isinstance(reference, str) or not 1 <= len(reference) <= 100:
        raise ValidationError("reference", "must be 1-100 characters")
    micro, currency = gateway.confirm(reference)
    now = rt.clock.now()
    with rt.uow() as uow:
        account = account_of(uow, customer_id)
        paid = _check_currency(account, Money(micro, currency))
        tx = uow.ledger.post(
            top_up(
                account.id, paid, key=f"payment:{reference}", now=now, memo=f"payment {reference}"
            )
        )
        uow.commit()
    reassess_account(rt, customer_id)
    return tx


def _check_currency(account: Account, value: Money) -> Money:
    # Wallets are per currency: money in another one would land in a balance the customer never
    # sees.
    if value.currency != account.currency:
        raise ValidationError("currency", f"must be {account.currency}", currency=value.currency)
    return value
