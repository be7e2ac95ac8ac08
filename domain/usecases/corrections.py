"""An administrator's corrections to the books: refunding a charge, reversing a mistaken movement.

The ledger is append-only. A refund gives back what a charge took (all of it or a part, once per
charge); a reversal posts the exact opposite of a movement. The original stays in the history either
way, next to the correction that names it.
"""

from __future__ import annotations

from domain.model.commands import Refund, Reversal
from domain.model.errors import Conflict, NotFound, ValidationError
from domain.model.ledger import Transaction, TxKind
from domain.model.ledger_movements import refund, reversal
from domain.usecases.actors import Actor, account_of
from domain.usecases.dunning import reassess_account
from domain.usecases.paper_trail import audit
from domain.usecases.runtime import Runtime

REFUNDABLE = (TxKind.CHARGE, TxKind.USAGE, TxKind.CAPTURE)
# Holds and their settlements are corrected by settling, and a reversal is not reversed again.
REVERSIBLE = (
    TxKind.TOP_UP,
    TxKind.BONUS,
    TxKind.ADJUSTMENT,
    TxKind.CHARGE,
    TxKind.USAGE,
    TxKind.REFUND,
)


def _customer_of(tx: Transaction) -> int | None:
    return next(
        (p.account.customer_id for p in tx.postings if p.account.customer_id is not None), None
    )


def refund_charge(rt: Runtime, actor: Actor, command: Refund) -> Transaction:
    """Give a customer back what a charge took (by default all of it); a charge is refunded once."""
    actor.require_admin()
    memo = command.reason.text
    now = rt.clock.now()
    with rt.uow() as uow:
        original = uow.ledger.get(command.transaction_key)
        customer_id = _customer_of(original) if original is not None else None
        if original is None or original.kind not in REFUNDABLE or customer_id is None:
            raise NotFound("charge", command.transaction_key)
        account = account_of(uow, customer_id)
        amount = command.amount
        value = original.amount if amount is None else amount.money(original.currency)
        if value > original.amount:
            raise ValidationError(
                "amount", f"must be positive and at most {original.amount.format(6)}"
            )
        key = f"{original.key}:refund"
        if uow.ledger.get(key) is not None:
            raise Conflict("this charge has already been refunded", key=original.key)
        # A reversal already gave the whole charge back: a refund on top would pay it out twice.
        if uow.ledger.get(f"{original.key}:reversal") is not None:
            raise Conflict("this charge has already been reversed", key=original.key)
        tx = uow.ledger.post(
            refund(account.id, value, key=key, now=now, memo=memo, server_id=original.server_id)
        )
        audit(
            uow,
            actor,
            "ledger.refund",
            f"account:{account.id}",
            now,
            key=original.key,
            amount=value,
        )
        uow.commit()
    reassess_account(rt, account.id)
    return tx


def reverse_transaction(rt: Runtime, actor: Actor, command: Reversal) -> Transaction:
    """Undo a mistaken movement with its exact opposite. It may take a balance below zero: the
    customer did not start it, and dunning takes it from there."""
    actor.require_admin()
    memo = command.reason.text
    now = rt.clock.now()
    with rt.uow() as uow:
        original = uow.ledger.get(command.transaction_key)
        customer_id = _customer_of(original) if original is not None else None
        if original is None or customer_id is None:
            raise NotFound("transaction", command.transaction_key)
        if original.kind not in REVERSIBLE:
            raise Conflict(f"a {original.kind.value} cannot be reversed", kind=original.kind.value)
        undone = reversal(original, now=now, memo=memo)
        if uow.ledger.get(undone.key) is not None:
            raise Conflict("this movement has already been reversed", key=original.key)
        # A refunded charge was given back already (all of it or a part): reversing it as well would
        # pay the refunded part out twice.
        if uow.ledger.get(f"{original.key}:refund") is not None:
            raise Conflict("this charge has already been refunded", key=original.key)
        tx = uow.ledger.post(undone)
        audit(uow, actor, "ledger.reverse", f"account:{customer_id}", now, key=original.key)
        uow.commit()
    reassess_account(rt, customer_id)
    return tx
