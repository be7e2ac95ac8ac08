from __future__ import annotations

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.model.errors import Conflict, InsufficientFunds, ValidationError
from domain.model.ledger import (
    AccountKind,
    LedgerAccount,
    Posting,
    Transaction,
    TxKind,
    balances,
    check_postable,
)
from domain.model.ledger_movements import (
    adjustment,
    bonus,
    capture,
    charge,
    hold,
    refund,
    release,
    reversal,
    top_up,
)
from domain.model.money import Money, Rounding

from .factories import RUB, at, rub

NOW = at(2025, 3, 10, 12)
ALICE = 42
WALLET = LedgerAccount.wallet(ALICE, RUB)
HOLDS = LedgerAccount.holds(ALICE, RUB)
REVENUE = LedgerAccount.system(AccountKind.REVENUE, RUB)
PAYMENTS = LedgerAccount.system(AccountKind.PAYMENTS, RUB)


class Book:
    """The smallest ledger store: check_postable, then append. Enough to exercise the rules."""

    def __init__(self) -> None:
        self.posted: list[Transaction] = []

    def balance(self, account: LedgerAccount) -> int:
        return balances(self.posted).get(account, 0)

    def unsettled(self, hold_key: str) -> int:
        held = next(t for t in self.posted if t.key == hold_key)
        settled = sum(t.amount.micro for t in self.posted if t.hold_key == hold_key)
        return held.amount.micro - settled

    def post(self, *txs: Transaction) -> None:
        for tx in txs:
            check_postable(tx, self.balance, self.unsettled)
            self.posted.append(tx)


def funded(amount: str = "100.00") -> Book:
    book = Book()
    book.post(top_up(ALICE, rub(amount), key="pay-1", now=NOW))
    return book


class TestAccounts:
    def test_customer_accounts_need_a_customer(self) -> None:
        with pytest.raises(ValueError):
            LedgerAccount(AccountKind.WALLET, RUB)
        with pytest.raises(ValueError):
            LedgerAccount(AccountKind.REVENUE, RUB, 42)

    def test_keys(self) -> None:
        assert WALLET.key == "wallet:RUB:42"
        assert HOLDS.key == "holds:RUB:42"
        assert REVENUE.key == "revenue:RUB"


class TestTransactionShape:
    @pytest.mark.parametrize("amount", [0, 1.5, True])
    def test_posting_moves_a_non_zero_int(self, amount: object) -> None:
        with pytest.raises(ValueError):
            Posting(WALLET, amount)  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        ("key", "postings"),
        [
            ("k", (Posting(WALLET, 5),)),  # one leg
            ("k", (Posting(WALLET, 5), Posting(REVENUE, -4))),  # does not balance
            (
                "k",
                (Posting(WALLET, 5), Posting(LedgerAccount.system(AccountKind.REVENUE, "USD"), -5)),
            ),
            ("", (Posting(WALLET, 5), Posting(REVENUE, -5))),
            ("k" * 201, (Posting(WALLET, 5), Posting(REVENUE, -5))),
        ],
    )
    def test_invalid_transactions(self, key: str, postings: tuple[Posting, ...]) -> None:
        with pytest.raises(ValueError):
            Transaction(key, TxKind.ADJUSTMENT, postings, NOW)

    def test_amount_is_the_sum_of_credits(self) -> None:
        tx = Transaction(
            "k",
            TxKind.ADJUSTMENT,
            (Posting(WALLET, -7), Posting(REVENUE, 4), Posting(PAYMENTS, 3)),
            NOW,
        )
        assert tx.amount == Money(7, RUB)
        assert (tx.change_for(WALLET), tx.change_for(REVENUE), tx.change_for(HOLDS)) == (-7, 4, 0)

    def test_same_movement_ignores_posting_order_but_not_content(self) -> None:
        a = charge(ALICE, rub("3.00"), key="c", now=NOW, memo="x", server_id=1)
        flipped = attrs.evolve(
            a, postings=tuple(reversed(a.postings)), memo="retry", created_at=at(2026, 1, 1)
        )
        assert a.same_movement(flipped)
        assert not a.same_movement(
            charge(ALICE, rub("3.01"), key="c", now=NOW, memo="x", server_id=1)
        )
        assert not a.same_movement(
            charge(ALICE, rub("3.00"), key="c", now=NOW, memo="x", server_id=2)
        )
        assert not a.same_movement(
            refund(ALICE, rub("3.00"), key="c", now=NOW, memo="x", server_id=1)
        )


class TestBuilders:
    def test_top_up_moves_payments_into_the_wallet(self) -> None:
        tx = top_up(ALICE, rub("100.00"), key="pay-1", now=NOW)
        assert (tx.kind, tx.change_for(WALLET), tx.change_for(PAYMENTS)) == (
            TxKind.TOP_UP,
            100_000_000,
            -100_000_000,
        )
        assert not tx.customer_initiated

    def test_bonus_is_paid_by_promo(self) -> None:
        tx = bonus(ALICE, rub("5.00"), key="b", now=NOW, memo="GIFT")
        assert tx.change_for(LedgerAccount.system(AccountKind.PROMO, RUB)) == -5_000_000
        assert tx.change_for(WALLET) == 5_000_000

    @pytest.mark.parametrize(("amount", "wallet"), [("2.50", 2_500_000), ("-2.50", -2_500_000)])
    def test_adjustment_both_ways(self, amount: str, wallet: int) -> None:
        tx = adjustment(ALICE, rub(amount), key="adj", now=NOW, memo="goodwill")
        assert tx.change_for(WALLET) == wallet
        assert tx.change_for(LedgerAccount.system(AccountKind.ADJUSTMENTS, RUB)) == -wallet

    def test_adjustment_needs_a_reason_and_an_amount(self) -> None:
        with pytest.raises(ValidationError) as err:
            adjustment(ALICE, rub("1.00"), key="adj", now=NOW, memo="  ")
        assert err.value.field == "reason"
        with pytest.raises(ValidationError) as err:
            adjustment(ALICE, Money.zero(RUB), key="adj", now=NOW, memo="why")
        assert err.value.field == "amount"

    @pytest.mark.parametrize("amount", ["0.00", "-1.00"])
    def test_movements_are_positive(self, amount: str) -> None:
        with pytest.raises(ValidationError):
            charge(ALICE, rub(amount), key="c", now=NOW, memo="x")

    def test_charge_is_customer_initiated_but_usage_is_not(self) -> None:
        one_off = charge(ALICE, rub("3.00"), key="c", now=NOW, memo="x")
        usage = charge(
            ALICE,
            rub("3.00"),
            key="u",
            now=NOW,
            memo="x",
            kind=TxKind.USAGE,
            server_id=7,
            catalogue_version=3,
        )
        assert one_off.customer_initiated and not usage.customer_initiated
        assert (usage.change_for(WALLET), usage.change_for(REVENUE)) == (-3_000_000, 3_000_000)
        assert (usage.server_id, usage.catalogue_version) == (7, 3)

    def test_refund_moves_revenue_back(self) -> None:
        tx = refund(ALICE, rub("1.00"), key="r", now=NOW, memo="sorry", server_id=7)
        assert (tx.change_for(REVENUE), tx.change_for(WALLET), tx.server_id) == (
            -1_000_000,
            1_000_000,
            7,
        )

    def test_hold_reserves_from_the_wallet(self) -> None:
        tx = hold(ALICE, rub("4.00"), key="h", now=NOW, server_id=7)
        assert (tx.change_for(WALLET), tx.change_for(HOLDS)) == (-4_000_000, 4_000_000)
        assert tx.customer_initiated and tx.server_id == 7


class TestHoldSettlement:
    held = hold(ALICE, rub("4.00"), key="h", now=NOW, server_id=7)

    def test_full_capture(self) -> None:
        [tx] = capture(self.held, rub("4.00"), now=NOW)
        assert (tx.key, tx.kind, tx.hold_key, tx.server_id) == ("h:capture", TxKind.CAPTURE, "h", 7)
        assert (tx.change_for(HOLDS), tx.change_for(REVENUE)) == (-4_000_000, 4_000_000)

    def test_partial_capture_releases_the_rest(self) -> None:
        captured, released = capture(self.held, rub("3.00"), now=NOW)
        assert captured.change_for(REVENUE) == 3_000_000
        assert (released.key, released.kind, released.hold_key) == (
            "h:release",
            TxKind.RELEASE,
            "h",
        )
        assert released.change_for(WALLET) == 1_000_000

    def test_zero_capture_is_a_release(self) -> None:
        [tx] = capture(self.held, Money.zero(RUB), now=NOW)
        assert tx.kind is TxKind.RELEASE and tx.change_for(WALLET) == 4_000_000

    @pytest.mark.parametrize("amount", ["4.01", "-1.00"])
    def test_capture_within_the_hold(self, amount: str) -> None:
        with pytest.raises(ValidationError):
            capture(self.held, rub(amount), now=NOW)

    def test_only_holds_are_settled(self) -> None:
        with pytest.raises(ValueError):
            capture(top_up(ALICE, rub("1.00"), key="p", now=NOW), rub("1.00"), now=NOW)
        with pytest.raises(ValueError):
            release(top_up(ALICE, rub("1.00"), key="p", now=NOW), now=NOW)

    def test_release_defaults_to_everything(self) -> None:
        assert release(self.held, now=NOW).change_for(WALLET) == 4_000_000


class TestReversal:
    def test_negates_every_posting(self) -> None:
        original = charge(ALICE, rub("3.00"), key="c", now=NOW, memo="x", server_id=7)
        undo = reversal(original, now=NOW, memo="mistake")
        assert (undo.key, undo.kind, undo.reverses, undo.server_id) == (
            "c:reversal",
            TxKind.REVERSAL,
            "c",
            7,
        )
        assert balances([original, undo]) == {WALLET: 0, REVENUE: 0}

    @pytest.mark.parametrize("kind", [TxKind.HOLD, TxKind.CAPTURE, TxKind.RELEASE, TxKind.REVERSAL])
    def test_holds_and_reversals_are_not_reversed(self, kind: TxKind) -> None:
        tx = attrs.evolve(hold(ALICE, rub("1.00"), key="h", now=NOW, server_id=None), kind=kind)
        with pytest.raises(Conflict):
            reversal(tx, now=NOW, memo="no")


class TestCheckPostable:
    def test_the_order_lifecycle_balances(self) -> None:
        book = funded("100.00")
        held = hold(ALICE, rub("4.00"), key="h", now=NOW, server_id=7)
        book.post(held, *capture(held, rub("3.00"), now=NOW))
        # 100.00 - 4.00 held + 1.00 released = 97.00; 3.00 earned; nothing left on hold
        totals = balances(book.posted)
        assert (totals[WALLET], totals[HOLDS], totals[REVENUE], totals[PAYMENTS]) == (
            97_000_000,
            0,
            3_000_000,
            -100_000_000,
        )
        assert sum(totals.values()) == 0

    def test_customer_charge_may_empty_the_wallet_but_not_overdraw_it(self) -> None:
        book = funded("4.00")
        with pytest.raises(InsufficientFunds) as err:
            book.post(charge(ALICE, rub("4.01"), key="c1", now=NOW, memo="x"))
        assert err.value.details == {"required": "4.01", "available": "4.00", "currency": RUB}
        book.post(charge(ALICE, rub("4.00"), key="c2", now=NOW, memo="x"))
        assert book.balance(WALLET) == 0

    def test_hold_cannot_overdraw(self) -> None:
        with pytest.raises(InsufficientFunds):
            funded("3.99").post(hold(ALICE, rub("4.00"), key="h", now=NOW, server_id=7))

    def test_usage_and_admin_debits_may_go_below_zero(self) -> None:
        book = funded("1.00")
        book.post(charge(ALICE, rub("3.00"), key="u", now=NOW, memo="x", kind=TxKind.USAGE))
        book.post(adjustment(ALICE, rub("-1.00"), key="a", now=NOW, memo="chargeback"))
        assert book.balance(WALLET) == -3_000_000

    def test_negative_wallet_reports_nothing_available(self) -> None:
        book = funded("1.00")
        book.post(charge(ALICE, rub("3.00"), key="u", now=NOW, memo="x", kind=TxKind.USAGE))
        with pytest.raises(InsufficientFunds) as err:
            book.post(charge(ALICE, rub("0.01"), key="c", now=NOW, memo="x"))
        assert err.value.details["available"] == "0.00"

    def test_a_hold_settles_once(self) -> None:
        book = funded()
        held = hold(ALICE, rub("4.00"), key="h", now=NOW, server_id=7)
        book.post(held, *capture(held, rub("4.00"), now=NOW))
        with pytest.raises(Conflict, match="already settled"):
            book.post(release(held, now=NOW))
        with pytest.raises(Conflict, match="already settled"):
            book.post(*capture(held, rub("4.00"), now=NOW))

    def test_partial_settlements_add_up_to_the_hold(self) -> None:
        book = funded()
        held = hold(ALICE, rub("4.00"), key="h", now=NOW, server_id=7)
        book.post(held, release(held, rub("1.00"), now=NOW), release(held, rub("3.00"), now=NOW))
        with pytest.raises(Conflict):
            book.post(release(held, rub("0.01"), now=NOW))

    def test_holds_account_never_goes_negative(self) -> None:
        stray = Transaction("stray", TxKind.RELEASE, (Posting(HOLDS, -1), Posting(WALLET, 1)), NOW)
        with pytest.raises(Conflict, match="more than it reserved"):
            funded().post(stray)


_builders = st.sampled_from(["top_up", "bonus", "usage", "refund", "adjust", "hold"])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(_builders, st.integers(1, 10**9), st.integers(1, 3)), max_size=30))
def test_money_never_appears_or_disappears(moves: list[tuple[str, int, int]]) -> None:
    txs: list[Transaction] = []
    for n, (what, micro, customer) in enumerate(moves):
        amount, key = Money(micro, RUB), f"t{n}"
        if what == "top_up":
            txs.append(top_up(customer, amount, key=key, now=NOW))
        elif what == "bonus":
            txs.append(bonus(customer, amount, key=key, now=NOW, memo="b"))
        elif what == "usage":
            txs.append(charge(customer, amount, key=key, now=NOW, memo="u", kind=TxKind.USAGE))
        elif what == "refund":
            txs.append(refund(customer, amount, key=key, now=NOW, memo="r"))
        elif what == "adjust":
            txs.append(adjustment(customer, -amount, key=key, now=NOW, memo="a"))
        else:
            held = hold(customer, amount, key=key, now=NOW, server_id=n)
            txs += [held, *capture(held, amount.scale(1, 2, Rounding.DOWN), now=NOW)]
    assert sum(balances(txs).values()) == 0
    assert all(balances(txs).get(LedgerAccount.holds(c, RUB), 0) == 0 for c in (1, 2, 3))
    # Undoing all but the holds and their settlements (settled, never reversed) leaves only those.
    settled_kinds = (TxKind.HOLD, TxKind.CAPTURE, TxKind.RELEASE)
    undone = balances(
        txs + [reversal(t, now=NOW, memo="undo") for t in txs if t.kind not in settled_kinds]
    )
    holds_only = balances(t for t in txs if t.kind in settled_kinds)
    assert all(undone[account] == holds_only.get(account, 0) for account in undone)
