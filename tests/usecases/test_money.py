"""Balance, transactions, payments and an admin's corrections."""

from __future__ import annotations

from typing import Any

import pytest

from domain.model.commands import BalanceAdjustment
from domain.model.dunning import Standing
from domain.model.errors import Conflict, NotFound, PermissionDenied, ValidationError
from domain.model.ledger import AccountKind, LedgerAccount, Transaction, TxKind, balances
from domain.model.values import Amount
from domain.usecases import money
from domain.usecases.actors import Actor
from ports.paging import Page

from .support import START_HOURLY, World, micro, refused


def adjust(
    world: World,
    actor: Actor,
    customer_id: int,
    amount: Any,
    *,
    reason: Any = "goodwill",
    key: str = "req-1",
) -> Transaction:
    """A credit, or a debit when the amount is a text with a minus."""
    debit = isinstance(amount, str) and amount.startswith("-")
    return money.adjust_balance(
        world.rt,
        actor,
        BalanceAdjustment(
            customer_id,
            amount.removeprefix("-") if debit else amount,
            reason,
            request_key=key,
            debit=debit,
        ),
    )


class TestAdjustBalance:
    def test_credit_and_debit_to_the_micro_unit(self, world: World) -> None:
        customer = world.customer(balance=None)

        credit = adjust(world, world.admin, customer.account_id, "100.000001", key="a")
        debit = adjust(
            world, world.admin, customer.account_id, "-30.50", reason="  correction  ", key="b"
        )

        assert world.wallet(customer) == 69_500_001
        assert (credit.kind, debit.kind) == (TxKind.ADJUSTMENT, TxKind.ADJUSTMENT)
        assert debit.memo == "correction"
        with world.rt.uow() as uow:
            system = uow.ledger.balance(LedgerAccount.system(AccountKind.ADJUSTMENTS, "RUB"))
            audit = uow.audit.recent(1)[0]
        assert system == -69_500_001
        assert (audit.action, audit.actor_id, audit.target) == (
            "balance.adjust",
            world.admin.account_id,
            f"account:{customer.account_id}",
        )

    def test_an_amount_value_is_taken_as_is_in_the_accounts_currency(self, world: World) -> None:
        customer = world.customer(balance=None)
        tx = adjust(world, world.admin, customer.account_id, Amount("12.34"))
        assert world.wallet(customer) == micro("12.34")
        # An amount has no currency of its own: one in another currency cannot be sent.
        assert tx.currency == "RUB"

    def test_a_retried_request_posts_once(self, world: World) -> None:
        customer = world.customer(balance=None)
        first = adjust(world, world.admin, customer.account_id, "100.00", key="retry-me")
        before = world.snapshot()["tables"]["ledger_txs"]
        again = adjust(world, world.admin, customer.account_id, "100.00", key="retry-me")
        assert again == first
        assert world.snapshot()["tables"]["ledger_txs"] == before
        assert world.wallet(customer) == micro("100.00")

    def test_a_long_request_key_posts_once(self, world: World) -> None:
        # The HTTP layer allows a 255-character Idempotency-Key; the ledger keeps keys to 200.
        customer = world.customer(balance=None)
        key = "k" * 255
        first = adjust(world, world.admin, customer.account_id, "100.00", key=key)
        again = adjust(world, world.admin, customer.account_id, "100.00", key=key)
        other = adjust(world, world.admin, customer.account_id, "100.00", key="k" * 254)
        assert again == first and other.key != first.key
        assert world.wallet(customer) == micro("200.00")

    def test_the_same_key_for_another_amount_is_a_conflict(self, world: World) -> None:
        customer = world.customer(balance=None)
        adjust(world, world.admin, customer.account_id, "100.00", key="k")
        refused(
            world,
            Conflict,
            adjust,
            world,
            world.admin,
            customer.account_id,
            "200.00",
            key="k",
            error_code="conflict",
        )

    def test_a_debit_may_go_below_zero_and_restricts_the_account(self, world: World) -> None:
        customer = world.customer(balance="10.00")
        adjust(world, world.admin, customer.account_id, "-15.00")
        assert world.wallet(customer) == -micro("5.00")
        assert money.get_balance(world.rt, customer).standing is Standing.RESTRICTED

    def test_only_an_admin(self, world: World, customer: Actor) -> None:
        refused(
            world,
            PermissionDenied,
            adjust,
            world,
            customer,
            customer.account_id,
            "100.00",
            error_code="forbidden",
        )

    @pytest.mark.parametrize(
        ("customer_id", "amount", "reason", "error", "field"),
        [
            # A customer id that is no int is refused at the edge (tests/http/test_commands.py).
            (9999, "1.00", "ok!", NotFound, None),
            ("me", "1.00", "ab", ValidationError, "reason"),
            ("me", "1.00", "  ab  ", ValidationError, "reason"),
            ("me", "1.00", "x" * 501, ValidationError, "reason"),
            ("me", "1.00", None, ValidationError, "reason"),
            ("me", "0.00", "ok!", ValidationError, "amount"),
            ("me", "-0", "ok!", ValidationError, "amount"),
            ("me", "abc", "ok!", ValidationError, "amount"),
            ("me", "1e3", "ok!", ValidationError, "amount"),
            ("me", "1.0000001", "ok!", ValidationError, "amount"),
            ("me", "10000000000000000", "ok!", ValidationError, "amount"),
            ("me", 100, "ok!", ValidationError, "amount"),
            ("me", 1.5, "ok!", ValidationError, "amount"),
            ("me", None, "ok!", ValidationError, "amount"),
        ],
    )
    def test_bad_input(
        self,
        world: World,
        customer: Actor,
        customer_id: object,
        amount: Any,
        reason: Any,
        error: type,
        field: str | None,
    ) -> None:
        target = customer.account_id if customer_id == "me" else customer_id
        refused(
            world, error, adjust, world, world.admin, target, amount, reason=reason, field=field
        )


class TestBalanceAndTransactions:
    def test_balance_held_and_burn(self, world: World, customer: Actor) -> None:
        world.running_server(customer)
        world.hold_jobs()
        world.order(customer)

        view = money.get_balance(world.rt, customer)

        assert view.balance.micro == micro("1000.00") - 2 * START_HOURLY
        assert view.held.micro == START_HOURLY
        assert view.hourly_burn.micro == START_HOURLY  # the pending server costs nothing yet
        assert view.standing is Standing.ACTIVE

    def test_an_unknown_account(self, world: World) -> None:
        refused(world, NotFound, money.get_balance, world.rt, Actor(9999, world.admin.role))

    def test_lists_the_callers_transactions_newest_first(
        self, world: World, customer: Actor, stranger: Actor
    ) -> None:
        world.running_server(customer)
        world.running_server(stranger)

        txs, total = money.list_transactions(world.rt, customer, Page(1, 25))

        assert total == 3
        assert [tx.kind for tx in txs] == [TxKind.CAPTURE, TxKind.HOLD, TxKind.ADJUSTMENT]
        second_page, _ = money.list_transactions(world.rt, customer, Page(2, 2))
        assert [tx.kind for tx in second_page] == [TxKind.ADJUSTMENT]

    def test_the_books_always_balance(self, world: World, customer: Actor) -> None:
        world.running_server(customer)
        world.hypervisor.fail_next("start")
        world.order(customer)
        totals = balances(world.transactions())
        assert sum(totals.values()) == 0
        with world.rt.uow() as uow:
            assert all(uow.ledger.balance(account) == amount for account, amount in totals.items())
