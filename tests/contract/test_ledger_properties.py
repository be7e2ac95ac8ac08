"""Property test of the ledger through a unit of work, in memory and on PostgreSQL.

Random sequences of top-ups, holds, captures (full and partial), releases, customer charges, usage
charges, refunds, retries, reused keys and abandoned units of work across three customers. After
every step: the books balance, cached balances equal balances recomputed from the transactions, the
wallets match a simple model, no wallet is below zero unless usage took it there, and no hold is
settled beyond what it reserved. A refused posting changes nothing.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)

from domain.model import ledger as L
from domain.model import ledger_movements as M
from domain.model.errors import Conflict, InsufficientFunds
from domain.model.ledger import AccountKind, LedgerAccount, Transaction, TxKind
from domain.model.money import Money
from ports.unit_of_work import UnitOfWork

from .builders import T0
from .conftest import StoreRig

CUR = "RUB"
CUSTOMERS = (1, 2, 3)
customers = st.sampled_from(CUSTOMERS)
amounts = st.integers(min_value=1, max_value=60).map(lambda units: Money(units * 1_000_000, CUR))


def wallet(customer: int) -> LedgerAccount:
    return LedgerAccount.wallet(customer, CUR)


class LedgerMachine(RuleBasedStateMachine):
    holds = Bundle("holds")

    def __init__(self, uow_factory: Callable[[], UnitOfWork]) -> None:
        super().__init__()
        self.uow = uow_factory
        self.keys = itertools.count(1)
        self.model_wallet = {c: 0 for c in CUSTOMERS}
        self.settled: dict[
            str, list[Transaction]
        ] = {}  # hold key -> the settlement that was posted
        self.posted: list[Transaction] = []
        self.went_negative_by_usage: set[int] = set()

    # --- helpers ---------------------------------------------------------------------------------
    def key(self, prefix: str) -> str:
        return f"{prefix}-{next(self.keys)}"

    def post(self, *txs: Transaction) -> type[Exception] | None:
        """Post in one unit of work; on refusal check that nothing changed."""
        before = self.books()
        try:
            with self.uow() as uow:
                for tx in txs:
                    uow.ledger.post(tx)
                uow.commit()
        except (InsufficientFunds, Conflict) as refused:
            assert self.books() == before, "a refused posting changed the books"
            return type(refused)
        return None

    def books(self) -> tuple[list[Transaction], dict[LedgerAccount, int]]:
        with self.uow() as uow:
            txs = list(uow.ledger.all())
            return txs, {a: uow.ledger.balance(a) for a in L.balances(txs)}

    def balance(self, account: LedgerAccount) -> int:
        with self.uow() as uow:
            return uow.ledger.balance(account)

    # --- rules -----------------------------------------------------------------------------------
    @rule(customer=customers, amount=amounts)
    def top_up(self, customer: int, amount: Money) -> None:
        assert self.post(M.top_up(customer, amount, key=self.key("topup"), now=T0)) is None
        self.model_wallet[customer] += amount.micro

    @rule(target=holds, customer=customers, amount=amounts)
    def hold(self, customer: int, amount: Money) -> Transaction | None:
        tx = M.hold(customer, amount, key=self.key("hold"), now=T0, server_id=customer * 100)
        outcome = self.post(tx)
        if self.model_wallet[customer] >= amount.micro:
            assert outcome is None
            self.model_wallet[customer] -= amount.micro
            self.posted.append(tx)
            return tx
        assert outcome is InsufficientFunds
        return None

    @rule(held=holds, percent=st.integers(min_value=0, max_value=100))
    def capture(self, held: Transaction | None, percent: int) -> None:
        if held is None:
            return
        amount = Money(held.amount.micro * percent // 100, CUR)
        self.settle(held, M.capture(held, amount, now=T0))

    @rule(held=holds)
    def release(self, held: Transaction | None) -> None:
        if held is not None:
            self.settle(held, [M.release(held, now=T0)])

    def settle(self, held: Transaction, txs: list[Transaction]) -> None:
        outcome = self.post(*txs)
        previous = self.settled.get(held.key)
        customer = next(
            p.account.customer_id for p in held.postings if p.account.kind is AccountKind.HOLDS
        )
        if previous is None:
            assert outcome is None
            self.settled[held.key] = txs
            self.model_wallet[customer] += sum(t.change_for(wallet(customer)) for t in txs)
            self.posted.extend(txs)
        elif len(previous) == len(txs) and all(
            p.same_movement(t) for p, t in zip(previous, txs, strict=True)
        ):
            assert outcome is None  # a retry of the same settlement
        else:
            assert outcome is Conflict

    @rule(customer=customers, amount=amounts)
    def customer_charge(self, customer: int, amount: Money) -> None:
        tx = M.charge(customer, amount, key=self.key("charge"), now=T0, memo="extra ip")
        outcome = self.post(tx)
        if self.model_wallet[customer] >= amount.micro:
            assert outcome is None
            self.model_wallet[customer] -= amount.micro
            self.posted.append(tx)
        else:
            assert outcome is InsufficientFunds

    @rule(customer=customers, amount=amounts)
    def usage_charge(self, customer: int, amount: Money) -> None:
        tx = M.charge(
            customer,
            amount,
            key=self.key("usage"),
            now=T0,
            memo="usage",
            kind=TxKind.USAGE,
            server_id=1,
        )
        assert self.post(tx) is None
        self.model_wallet[customer] -= amount.micro
        if self.model_wallet[customer] < 0:
            self.went_negative_by_usage.add(customer)
        self.posted.append(tx)

    @rule(customer=customers, amount=amounts)
    def refund(self, customer: int, amount: Money) -> None:
        tx = M.refund(customer, amount, key=self.key("refund"), now=T0, memo="sorry")
        assert self.post(tx) is None
        self.model_wallet[customer] += amount.micro
        self.posted.append(tx)

    @rule(data=st.data())
    def retry_a_posted_transaction(self, data: st.DataObject) -> None:
        if self.posted:
            tx = data.draw(st.sampled_from(self.posted))
            assert self.post(tx) is None  # same key, same movement: nothing new

    @rule(data=st.data(), amount=amounts)
    def reuse_a_key_for_another_movement(self, data: st.DataObject, amount: Money) -> None:
        if self.posted:
            used = data.draw(st.sampled_from(self.posted))
            other = M.top_up(4, amount, key=used.key, now=T0)
            assert self.post(other) is Conflict

    @rule(customer=customers, amount=amounts)
    def abandon_a_unit_of_work(self, customer: int, amount: Money) -> None:
        before = self.books()
        with self.uow() as uow:
            uow.ledger.post(M.top_up(customer, amount, key=self.key("abandoned"), now=T0))
        assert self.books() == before

    # --- invariants ------------------------------------------------------------------------------
    @invariant()
    def books_balance(self) -> None:
        txs, cached = self.books()
        assert sum(p.amount for tx in txs for p in tx.postings) == 0
        assert cached == L.balances(txs)
        assert sum(cached.values()) == 0

    @invariant()
    def wallets_match_the_model_and_stay_positive(self) -> None:
        for customer in CUSTOMERS:
            balance = self.balance(wallet(customer))
            assert balance == self.model_wallet[customer]
            if customer not in self.went_negative_by_usage:
                assert balance >= 0

    @invariant()
    def no_hold_is_settled_beyond_its_amount(self) -> None:
        txs, _ = self.books()
        with self.uow() as uow:
            for held in (tx for tx in txs if tx.kind is TxKind.HOLD):
                settled = sum(t.amount.micro for t in txs if t.hold_key == held.key)
                assert settled <= held.amount.micro
                assert uow.ledger.unsettled(held.key) == held.amount.micro - settled
            for customer in CUSTOMERS:
                assert uow.ledger.balance(LedgerAccount.holds(customer, CUR)) >= 0
        revenue = LedgerAccount.system(AccountKind.REVENUE, CUR)
        assert self.balance(revenue) == sum(t.change_for(revenue) for t in txs)


# PostgreSQL runs fewer examples: each is a few hundred real transactions, and the concurrency the
# memory store cannot show is covered by the racing tests of the other suites.
EXAMPLES = {"memory": 120, "postgres": 15}


def test_ledger_properties(store_rig: StoreRig, request) -> None:
    backend = request.node.callspec.params["store_rig"]
    run_state_machine_as_test(
        lambda: LedgerMachine(store_rig.fresh()),
        settings=settings(max_examples=EXAMPLES[backend], stateful_step_count=30, deadline=None),
    )
