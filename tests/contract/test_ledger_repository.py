"""LedgerRepository: idempotent posting, the wallet floor, holds, history."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from domain.model import ledger as L
from domain.model import ledger_movements as M
from domain.model.errors import Conflict, InsufficientFunds
from domain.model.ledger import AccountKind, LedgerAccount, TxKind
from ports.paging import Page

from . import builders as b

T0 = b.T0
WALLET = LedgerAccount.wallet(1, b.RUB)
HOLDS = LedgerAccount.holds(1, b.RUB)
REVENUE = LedgerAccount.system(AccountKind.REVENUE, b.RUB)
PAYMENTS = LedgerAccount.system(AccountKind.PAYMENTS, b.RUB)


def funded(uow_factory, units: int = 100) -> None:
    with uow_factory() as uow:
        uow.ledger.post(M.top_up(1, b.rub(units), key="topup-1", now=T0))
        uow.commit()


def balances(uow_factory, *accounts: LedgerAccount) -> list[int]:
    with uow_factory() as uow:
        return [uow.ledger.balance(a) for a in accounts]


def test_a_top_up_moves_money_from_payments_to_the_wallet(uow_factory):
    funded(uow_factory, 100)
    assert balances(uow_factory, WALLET, PAYMENTS) == [100_000_000, -100_000_000]
    with uow_factory() as uow:
        assert uow.ledger.get("topup-1").kind is TxKind.TOP_UP
        assert uow.ledger.get("nope") is None
        assert uow.ledger.balance(LedgerAccount.wallet(2, b.RUB)) == 0


def test_balances_of_several_accounts_in_one_look_up(uow_factory):
    funded(uow_factory, 100)
    untouched = LedgerAccount.wallet(2, b.RUB)
    with uow_factory() as uow:
        assert uow.ledger.balances([WALLET, PAYMENTS, untouched]) == {
            WALLET: 100_000_000,
            PAYMENTS: -100_000_000,
            untouched: 0,
        }
        assert uow.ledger.balances([]) == {}


def test_posting_the_same_movement_twice_is_idempotent(uow_factory):
    funded(uow_factory, 100)
    retry = M.top_up(1, b.rub(100), key="topup-1", now=T0 + dt.timedelta(minutes=5), memo="retry")
    with uow_factory() as uow:
        stored = uow.ledger.post(retry)
        uow.commit()
    assert stored.created_at == T0  # the first posting, not the retry
    assert balances(uow_factory, WALLET) == [100_000_000]
    with uow_factory() as uow:
        assert len(list(uow.ledger.all())) == 1


def test_another_movement_under_a_used_key_is_a_conflict(uow_factory):
    funded(uow_factory, 100)
    with uow_factory() as uow, pytest.raises(Conflict):
        uow.ledger.post(M.top_up(1, b.rub(50), key="topup-1", now=T0))
    assert balances(uow_factory, WALLET) == [100_000_000]


def test_a_customer_charge_beyond_the_balance_is_refused_and_changes_nothing(uow_factory):
    funded(uow_factory, 10)
    with uow_factory() as uow:
        with pytest.raises(InsufficientFunds):
            uow.ledger.post(M.charge(1, b.rub(11), key="c1", now=T0, memo="too much"))
        assert uow.ledger.get("c1") is None
        uow.commit()
    assert balances(uow_factory, WALLET, REVENUE) == [10_000_000, 0]


def test_a_customer_charge_may_empty_the_wallet_exactly(uow_factory):
    funded(uow_factory, 10)
    with uow_factory() as uow:
        uow.ledger.post(M.charge(1, b.rub(10), key="c1", now=T0, memo="all of it"))
        uow.commit()
    assert balances(uow_factory, WALLET, REVENUE) == [0, 10_000_000]


def test_usage_may_take_the_wallet_below_zero(uow_factory):
    funded(uow_factory, 1)
    with uow_factory() as uow:
        uow.ledger.post(
            M.charge(1, b.rub(3), key="u1", now=T0, memo="usage", kind=TxKind.USAGE, server_id=7)
        )
        uow.commit()
    assert balances(uow_factory, WALLET, REVENUE) == [-2_000_000, 3_000_000]


def test_hold_then_capture(uow_factory):
    funded(uow_factory, 100)
    with uow_factory() as uow:
        held = uow.ledger.post(M.hold(1, b.rub(30), key="hold-7", now=T0, server_id=7))
        uow.commit()
    assert balances(uow_factory, WALLET, HOLDS) == [70_000_000, 30_000_000]
    with uow_factory() as uow:
        assert uow.ledger.unsettled("hold-7") == 30_000_000
        for tx in M.capture(held, b.rub(30), now=T0):
            uow.ledger.post(tx)
        uow.commit()
    with uow_factory() as uow:
        assert uow.ledger.unsettled("hold-7") == 0
    assert balances(uow_factory, WALLET, HOLDS, REVENUE) == [70_000_000, 0, 30_000_000]


def test_a_partial_capture_releases_the_remainder(uow_factory):
    funded(uow_factory, 100)
    with uow_factory() as uow:
        held = uow.ledger.post(M.hold(1, b.rub(30), key="hold-7", now=T0, server_id=7))
        for tx in M.capture(held, b.rub(12), now=T0):
            uow.ledger.post(tx)
        uow.commit()
    with uow_factory() as uow:
        assert uow.ledger.unsettled("hold-7") == 0
    assert balances(uow_factory, WALLET, HOLDS, REVENUE) == [88_000_000, 0, 12_000_000]


def test_a_hold_cannot_be_settled_twice(uow_factory):
    funded(uow_factory, 100)
    with uow_factory() as uow:
        held = uow.ledger.post(M.hold(1, b.rub(30), key="hold-7", now=T0, server_id=7))
        uow.ledger.post(M.release(held, now=T0))
        uow.commit()
    with uow_factory() as uow:
        # The same release again is a retry: idempotent.
        uow.ledger.post(M.release(held, now=T0))
        # A capture after the release finds nothing left to settle.
        with pytest.raises(Conflict):
            uow.ledger.post(M.capture(held, b.rub(30), now=T0)[0])
        uow.commit()
    assert balances(uow_factory, WALLET, HOLDS, REVENUE) == [100_000_000, 0, 0]


def test_a_hold_needs_the_funds(uow_factory):
    funded(uow_factory, 10)
    with uow_factory() as uow, pytest.raises(InsufficientFunds):
        uow.ledger.post(M.hold(1, b.rub(11), key="hold-1", now=T0, server_id=1))
    with uow_factory() as uow:
        assert uow.ledger.unsettled("hold-1") == 0
        assert uow.ledger.unsettled("never-held") == 0


def test_rollback_undoes_postings_and_cached_balances(uow_factory):
    funded(uow_factory, 100)
    with uow_factory() as uow:
        uow.ledger.post(M.hold(1, b.rub(30), key="hold-7", now=T0, server_id=7))
        uow.ledger.post(M.charge(1, b.rub(5), key="c1", now=T0, memo="x"))
    with uow_factory() as uow:
        assert uow.ledger.get("hold-7") is None and uow.ledger.unsettled("hold-7") == 0
        assert [tx.key for tx in uow.ledger.all()] == ["topup-1"]
    assert balances(uow_factory, WALLET, HOLDS, REVENUE) == [100_000_000, 0, 0]


def test_for_customer_is_newest_first_and_paginated(uow_factory):
    with uow_factory() as uow:
        for n in range(5):
            uow.ledger.post(
                M.top_up(1, b.rub(n + 1), key=f"t{n}", now=T0 + dt.timedelta(minutes=n))
            )
        uow.ledger.post(M.top_up(2, b.rub(1), key="other", now=T0))
        uow.commit()
    with uow_factory() as uow:
        first, total = uow.ledger.for_customer(1, Page(1, 2))
        third, _ = uow.ledger.for_customer(1, Page(3, 2))
        none, zero = uow.ledger.for_customer(3, Page())
    assert total == 5
    assert [tx.key for tx in first] == ["t4", "t3"]
    assert [tx.key for tx in third] == ["t0"]
    assert (none, zero) == ([], 0)


def test_all_is_in_posting_order_and_balances_match_it(uow_factory):
    funded(uow_factory, 50)
    with uow_factory() as uow:
        held = uow.ledger.post(M.hold(1, b.rub(20), key="h", now=T0, server_id=1))
        for tx in M.capture(held, b.rub(5), now=T0):
            uow.ledger.post(tx)
        uow.ledger.post(M.refund(1, b.rub(2), key="r", now=T0, memo="sorry"))
        uow.commit()
    with uow_factory() as uow:
        txs = list(uow.ledger.all())
        assert [tx.key for tx in txs] == ["topup-1", "h", "h:capture", "h:release", "r"]
        for account, total in L.balances(txs).items():
            assert uow.ledger.balance(account) == total


def test_concurrent_charges_never_overdraw(uow_factory):
    funded(uow_factory, 10)
    outcomes: list[str] = []

    def spend(n: int) -> None:
        try:
            with uow_factory() as uow:
                uow.ledger.post(M.charge(1, b.rub(3), key=f"c{n}", now=T0, memo="x"))
                uow.commit()
            outcomes.append("ok")
        except InsufficientFunds:
            outcomes.append("refused")

    threads = [threading.Thread(target=spend, args=(n,)) for n in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 3
    assert balances(uow_factory, WALLET) == [1_000_000]
