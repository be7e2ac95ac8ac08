"""Statements against the ledger, on both stores: random movements of two customers (top-ups,
promo credits, corrections both ways, holds captured in part or released, usage, refunds,
reversals), posted in an order that is not their time order, over four months. For every month:
the lines add up from the opening to the closing balance, the closing balance is what the ledger
holds of the customer at the month's end, and it is the next month's opening balance; the last
month closes at the ledger's balance. Each store reads the same movements the ledger's own
transactions give."""

from __future__ import annotations

import datetime as dt
import itertools

from hypothesis import example, given, settings
from hypothesis import strategies as st

from domain.model import ledger as L
from domain.model import ledger_movements as M
from domain.model.errors import Conflict, InsufficientFunds
from domain.model.ledger import Transaction
from domain.model.money import Money
from domain.model.statements import Period, build_statement, customer_money

from .conftest import StoreRig

CUR = "RUB"
CUSTOMERS = (1, 2)
MONTHS = [Period(2026, m) for m in (1, 2, 3, 4)]
START = MONTHS[0].start
# The last hour a movement may start at: a hold is settled an hour after it, and the settlement
# too must fall within the last month, or that month would rightly not close at the balance.
SETTLED_AFTER = dt.timedelta(hours=1)
SPAN_HOURS = int((MONTHS[-1].end - START - SETTLED_AFTER).total_seconds() // 3600) - 1

moves = st.lists(
    st.tuples(
        st.sampled_from(
            ["top_up", "bonus", "credit", "debit", "hold", "usage", "refund", "reverse"]
        ),
        st.sampled_from(CUSTOMERS),
        st.integers(min_value=1, max_value=500),  # whole units
        st.integers(min_value=0, max_value=SPAN_HOURS),  # when
        st.sampled_from(["capture", "part", "release", "keep"]),  # what becomes of a hold
    ),
    max_size=25,
)


def _transactions(plan: list[tuple[str, int, int, int, str]]) -> list[Transaction]:
    keys = itertools.count(1)
    made: list[Transaction] = []
    for kind, customer, units, hour, fate in plan:
        value, at = Money(units * 1_000_000 + 123, CUR), START + dt.timedelta(hours=hour)
        key = f"{kind}-{next(keys)}"
        if kind == "top_up":
            made.append(M.top_up(customer, value, key=key, now=at))
        elif kind == "bonus":
            made.append(M.bonus(customer, value, key=key, now=at, memo="promo"))
        elif kind in ("credit", "debit"):
            signed = value if kind == "credit" else -value
            made.append(M.adjustment(customer, signed, key=key, now=at, memo="fix"))
        elif kind == "usage":
            made.append(M.charge(customer, value, key=key, now=at, memo="u", kind=L.TxKind.USAGE))
        elif kind == "hold":
            held = M.hold(customer, value, key=key, now=at, server_id=customer * 10)
            made.append(held)
            later = at + SETTLED_AFTER
            if fate in ("capture", "part"):
                taken = value if fate == "capture" else Money(value.micro // 2, CUR)
                made.extend(M.capture(held, taken, now=later))
            elif fate == "release":
                made.append(M.release(held, now=later))
        elif kind == "refund":
            made.append(M.refund(customer, value, key=key, now=at, memo="sorry"))
        elif kind == "reverse" and made and made[-1].kind in (L.TxKind.TOP_UP, L.TxKind.BONUS):
            made.append(M.reversal(made[-1], now=at, memo="undo"))
    return made


def _post(uow_factory, txs: list[Transaction]) -> None:
    # Posting order is not time order: the plan is posted backwards, each hold still before what
    # settles it and each transaction before its reversal.
    blocks: list[list[Transaction]] = []
    for tx in txs:
        if tx.hold_key is None and tx.reverses is None or not blocks:
            blocks.append([])
        blocks[-1].append(tx)
    for tx in [tx for block in reversed(blocks) for tx in block]:
        try:
            with uow_factory() as uow:
                uow.ledger.post(tx)
                uow.commit()
        except (InsufficientFunds, Conflict):
            pass  # refused (a hold the wallet cannot cover, a settlement of it): nothing moved


def _check_months(uow_factory) -> None:
    with uow_factory() as uow:
        everything = list(uow.ledger.all())
        for customer in CUSTOMERS:
            accounts = customer_money(customer, CUR)
            opening = 0
            for period in MONTHS:
                before = uow.ledger_history.funds_before(accounts, period.start)
                assert before == opening
                movements = uow.ledger_history.movements(accounts, period.start, period.end)
                expected = [
                    tx.key
                    for tx in everything
                    if period.start <= tx.created_at < period.end
                    and any(p.account in accounts for p in tx.postings)
                ]
                assert [tx.key for tx in movements] == expected
                st_ = build_statement(
                    customer, period, period.end, Money(before, CUR), movements, []
                )
                lines = sum(line.amount.micro for line in st_.lines)
                assert st_.opening.micro + lines == st_.closing.micro
                assert st_.closing.micro == uow.ledger_history.funds_before(accounts, period.end)
                charged = sum(c.amount.micro for c in st_.charges)
                others = sum(g.total.micro for g in st_.groups)
                assert st_.opening.micro - charged + others == st_.closing.micro
                opening = st_.closing.micro
            assert opening == sum(uow.ledger.balance(a) for a in accounts)


EXAMPLES = {"memory": 60, "postgres": 10}


def test_statements_sum_to_the_ledger(store_rig: StoreRig, request) -> None:
    backend = request.node.callspec.params["store_rig"]

    @settings(max_examples=EXAMPLES[backend], deadline=None)
    @given(moves)
    # A hold in the span's last hour, settled in the last hour of the last month (posted after the
    # top-up that covers it, since the plan is posted backwards).
    @example([("hold", 1, 5, SPAN_HOURS, "capture"), ("top_up", 1, 10, 0, "keep")])
    def run(plan: list[tuple[str, int, int, int, str]]) -> None:
        uow_factory = store_rig.fresh()
        _post(uow_factory, _transactions(plan))
        _check_months(uow_factory)

    run()
