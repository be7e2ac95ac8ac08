"""The statement's rules: which month, what is a line, how charges group by server and the rest
by kind, and the time a server existed in the month."""

from __future__ import annotations

import datetime as dt

import pytest

from domain.model import ledger as L
from domain.model import ledger_movements as M
from domain.model.errors import RuleViolation, ValidationError
from domain.model.money import Money
from domain.model.statements import Period, ServerLife, build_statement

CUR = "RUB"
MARCH = Period(2026, 3)
DAY = dt.timedelta(days=1)


def rub(units: int) -> Money:
    return Money(units * 1_000_000, CUR)


@pytest.mark.parametrize(
    "text", ["2026-3", "2026-00", "2026-13", "1899-12", "3000-01", "２０２６-03"]
)
def test_a_period_is_a_month_written_yyyy_mm(text: str) -> None:
    with pytest.raises(ValidationError):
        Period.parse(text)


def test_a_period_runs_from_its_first_moment_to_the_next_months() -> None:
    december = Period.parse("2026-12")
    assert (december.start, december.end) == (
        dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
        dt.datetime(2027, 1, 1, tzinfo=dt.UTC),
    )
    assert str(december) == "2026-12"
    assert december.until(dt.datetime(2026, 12, 5, tzinfo=dt.UTC)) == dt.datetime(
        2026, 12, 5, tzinfo=dt.UTC
    )
    assert december.until(dt.datetime(2027, 5, 1, tzinfo=dt.UTC)) == december.end
    with pytest.raises(RuleViolation):
        december.until(dt.datetime(2026, 11, 30, tzinfo=dt.UTC))


def test_money_moved_between_the_wallet_and_its_holds_is_no_line() -> None:
    at = MARCH.start + DAY
    held = M.hold(1, rub(10), key="h", now=at, server_id=7)
    captured = M.capture(held, rub(4), now=at)  # and releases the other 6

    st = build_statement(1, MARCH, MARCH.end, rub(100), [held, *captured], [])

    assert [line.kind for line in st.lines] == ["capture"]
    assert st.closing == rub(96) and st.charged == rub(4)


def test_charges_group_by_server_with_its_time_in_the_month_and_the_rest_by_kind() -> None:
    web = ServerLife(7, "web", MARCH.start - DAY, MARCH.start + 3 * DAY)
    db = ServerLife(8, "db", MARCH.start + 2 * DAY, None)
    at = MARCH.start + 2 * DAY
    movements = [
        M.top_up(1, rub(50), key="t", now=at),
        M.charge(1, rub(3), key="u1", now=at, memo="", kind=L.TxKind.USAGE, server_id=7),
        M.charge(1, rub(2), key="u2", now=at, memo="", kind=L.TxKind.USAGE, server_id=8),
        M.charge(1, rub(1), key="c", now=at, memo="licence"),
        M.charge(1, rub(1), key="u3", now=at, memo="", kind=L.TxKind.USAGE, server_id=7),
        M.bonus(1, rub(5), key="b", now=at, memo="promo"),
        M.refund(1, rub(1), key="r", now=at, memo="sorry", server_id=7),
        M.charge(2, rub(9), key="other", now=at, memo="", kind=L.TxKind.USAGE, server_id=9),
    ]
    end = MARCH.start + 10 * DAY

    st = build_statement(1, MARCH, end, rub(0), movements, [web, db])

    [(web_line), (db_line), (none_line)] = st.charges
    assert (web_line.server_id, web_line.name, web_line.amount) == (7, "web", rub(4))
    assert (web_line.start, web_line.end, web_line.seconds) == (MARCH.start, web.deleted_at, 259200)
    assert (db_line.start, db_line.end, db_line.amount) == (db.created_at, end, rub(2))
    assert (none_line.server_id, none_line.name, none_line.seconds) == (None, None, 0)
    assert [(g.kind, g.total) for g in st.groups] == [
        ("top_up", rub(50)),
        ("bonus", rub(5)),
        ("refund", rub(1)),
    ]
    assert st.closing == rub(50 - 4 - 2 - 1 + 5 + 1)  # another customer's charge is not here


def test_a_charge_for_time_before_the_month_shows_no_time_in_it() -> None:
    gone = ServerLife(7, "web", MARCH.start - 5 * DAY, MARCH.start - DAY)
    late = M.charge(
        1, rub(1), key="u", now=MARCH.start + DAY, memo="", kind=L.TxKind.USAGE, server_id=7
    )

    [charged] = build_statement(1, MARCH, MARCH.end, rub(0), [late], [gone]).charges

    assert (charged.start, charged.end, charged.seconds, charged.amount) == (None, None, 0, rub(1))
