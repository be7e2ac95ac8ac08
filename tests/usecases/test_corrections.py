"""An admin's corrections to the books: refunds and reversals, never edits."""

from __future__ import annotations

import datetime as dt

import pytest

from domain.model.commands import Refund, Reversal
from domain.model.dunning import Standing
from domain.model.errors import Conflict, NotFound, PermissionDenied, ValidationError
from domain.model.ledger import TxKind
from domain.usecases import corrections, money
from domain.usecases.actors import Actor
from domain.usecases.billing import billing_run

from .support import START_HOURLY, World, micro, refused


def usage_charge(world: World, customer: Actor) -> str:
    """The key of a USAGE charge of two hours."""
    server = world.running_server(customer)
    world.clock.set(server.created_at + dt.timedelta(hours=3))
    billing_run(world.rt)
    [usage] = world.transactions(TxKind.USAGE)
    return usage.key


class TestRefund:
    def test_gives_back_a_charge_once(self, world: World, customer: Actor) -> None:
        key = usage_charge(world, customer)
        before = world.wallet(customer)

        tx = corrections.refund_charge(world.rt, world.admin, Refund(key, "outage on the node"))

        assert tx.kind is TxKind.REFUND
        assert tx.amount.micro == 2 * START_HOURLY
        assert world.wallet(customer) == before + 2 * START_HOURLY
        assert any(t.key == key for t in world.transactions(TxKind.USAGE))  # the original stays
        refused(
            world,
            Conflict,
            lambda: corrections.refund_charge(world.rt, world.admin, Refund(key, "again")),
        )

    def test_part_of_a_captured_first_charge(self, world: World, customer: Actor) -> None:
        world.running_server(customer)
        [captured] = world.transactions(TxKind.CAPTURE)
        corrections.refund_charge(
            world.rt, world.admin, Refund(captured.key, "goodwill", amount="0.50")
        )
        assert world.wallet(customer) == micro("1000.00") - START_HOURLY + micro("0.50")

    @pytest.mark.parametrize("amount", ["0", "-1.00", "1.91", "abc", 1])
    def test_a_bad_amount(self, world: World, customer: Actor, amount: object) -> None:
        key = usage_charge(world, customer)
        refused(
            world,
            ValidationError,
            lambda: corrections.refund_charge(
                world.rt, world.admin, Refund(key, "goodwill", amount=amount)
            ),
            field="amount",
        )

    def test_what_is_not_a_charge(self, world: World, customer: Actor) -> None:
        world.running_server(customer)
        [hold] = world.transactions(TxKind.HOLD)
        [credit] = world.transactions(TxKind.ADJUSTMENT)
        for key in (hold.key, credit.key, "no-such-key", None, 42):
            refused(
                world,
                NotFound,
                lambda key=key: corrections.refund_charge(
                    world.rt, world.admin, Refund(key, "goodwill")
                ),
            )

    def test_a_reversed_charge_is_not_refunded_as_well(self, world: World, customer: Actor) -> None:
        key = usage_charge(world, customer)
        corrections.reverse_transaction(world.rt, world.admin, Reversal(key, "billed by mistake"))
        refused(
            world,
            Conflict,
            lambda: corrections.refund_charge(
                world.rt, world.admin, Refund(key, "and refunded too")
            ),
        )

    def test_only_an_admin_with_a_reason(self, world: World, customer: Actor) -> None:
        key = usage_charge(world, customer)
        refused(
            world,
            PermissionDenied,
            lambda: corrections.refund_charge(world.rt, customer, Refund(key, "I want it back")),
        )
        refused(
            world,
            ValidationError,
            lambda: corrections.refund_charge(world.rt, world.admin, Refund(key, " x ")),
            field="reason",
        )


class TestReverse:
    def test_undoes_a_mistaken_credit_and_dunning_follows(self, world: World) -> None:
        customer = world.customer(balance=None)
        credit = world.credit(customer, "100.00")
        world.running_server(customer)

        tx = corrections.reverse_transaction(
            world.rt, world.admin, Reversal(credit.key, "credited the wrong customer")
        )

        assert (tx.kind, tx.reverses) == (TxKind.REVERSAL, credit.key)
        assert world.wallet(customer) == -START_HOURLY
        assert money.get_balance(world.rt, customer).standing is Standing.RESTRICTED
        refused(
            world,
            Conflict,
            lambda: corrections.reverse_transaction(
                world.rt, world.admin, Reversal(credit.key, "twice")
            ),
        )

    def test_a_refunded_charge_is_not_reversed_as_well(self, world: World, customer: Actor) -> None:
        key = usage_charge(world, customer)
        corrections.refund_charge(world.rt, world.admin, Refund(key, "outage"))
        refused(
            world,
            Conflict,
            lambda: corrections.reverse_transaction(
                world.rt, world.admin, Reversal(key, "and reversed too")
            ),
        )

    def test_holds_settlements_and_reversals_are_not_reversed(
        self, world: World, customer: Actor
    ) -> None:
        world.running_server(customer)
        [hold] = world.transactions(TxKind.HOLD)
        [capture] = world.transactions(TxKind.CAPTURE)
        [credit] = world.transactions(TxKind.ADJUSTMENT)
        undone = corrections.reverse_transaction(
            world.rt, world.admin, Reversal(credit.key, "oops")
        )
        for key in (hold.key, capture.key, undone.key):
            refused(
                world,
                Conflict,
                lambda key=key: corrections.reverse_transaction(
                    world.rt, world.admin, Reversal(key, "not this")
                ),
            )

    @pytest.mark.parametrize("key", ["no-such-key", None, 42])
    def test_an_unknown_transaction(self, world: World, key: object) -> None:
        refused(
            world,
            NotFound,
            lambda: corrections.reverse_transaction(world.rt, world.admin, Reversal(key, "oops")),
        )

    def test_only_an_admin(self, world: World, customer: Actor) -> None:
        [credit] = world.transactions(TxKind.ADJUSTMENT)
        refused(
            world,
            PermissionDenied,
            lambda: corrections.reverse_transaction(
                world.rt, customer, Reversal(credit.key, "mine")
            ),
        )
