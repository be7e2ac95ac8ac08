"""A customer's monthly statement, computed from the ledger.

The statement follows the customer's money: their wallet and what is held of it (an order's first
charge, reserved while the server is built), so moving money between the two is no event. Every
other transaction that changed that money is a line, at its time. Charges (a captured hold, a
one-off charge, metered usage) are grouped by server, with the time the server existed in the
period; every other kind of transaction (top-ups, payments, promo credits, refunds, corrections,
and any kind added later) is grouped under its kind. Opening plus every line is the closing
balance, and one period's closing balance is the next one's opening: the sum checks against the
ledger.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

import attrs

from domain.model.errors import RuleViolation, ValidationError
from domain.model.ledger import LedgerAccount, Transaction, TxKind
from domain.model.metering import next_month
from domain.model.money import Money

# Money that left the customer for what they used.
CHARGE_KINDS = frozenset({TxKind.CAPTURE, TxKind.CHARGE, TxKind.USAGE})
# The order of the kinds on a statement: money in first; a kind not named here comes after them.
KIND_ORDER = (
    "top_up",
    "payment",
    "bonus",
    "refund",
    "payment_refund",
    "adjustment",
    "reversal",
)
# ASCII digits only: `\d` would take other scripts' digits too, which int() reads as well.
_PERIOD = re.compile(r"^([0-9]{4})-([0-9]{2})$")


@attrs.frozen(order=True)
class Period:
    """A calendar month in UTC, written YYYY-MM."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Period:
        found = _PERIOD.match(text)
        if found is None or not 1 <= int(found[2]) <= 12 or not 1900 <= int(found[1]) <= 2999:
            raise ValidationError("period", "must be a month written YYYY-MM, such as 2026-11")
        return cls(int(found[1]), int(found[2]))

    @property
    def start(self) -> dt.datetime:
        return dt.datetime(self.year, self.month, 1, tzinfo=dt.UTC)

    @property
    def end(self) -> dt.datetime:
        return next_month(self.start)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def until(self, now: dt.datetime) -> dt.datetime:
        """Where the statement ends: the month's end, or now for the month under way."""
        if now < self.start:
            raise RuleViolation("period", "has not begun yet")
        return min(self.end, now)


@attrs.frozen
class ServerLife:
    """What a statement needs of a server: its name and when it existed."""

    id: int
    name: str
    created_at: dt.datetime
    deleted_at: dt.datetime | None


@attrs.frozen
class Line:
    """One transaction as the statement shows it: what it did to the customer's money."""

    key: str
    kind: str
    at: dt.datetime
    amount: Money  # > 0 added to the customer's money, < 0 took from it
    memo: str
    server_id: int | None


@attrs.frozen
class ServerCharges:
    server_id: int | None  # None: charges for no server
    name: str | None
    start: dt.datetime | None  # when the server existed within the statement's period
    end: dt.datetime | None
    amount: Money  # what was charged, as a positive amount
    lines: tuple[Line, ...]

    @property
    def seconds(self) -> int:
        if self.start is None or self.end is None:
            return 0
        return (self.end - self.start) // dt.timedelta(seconds=1)


@attrs.frozen
class KindGroup:
    kind: str
    total: Money  # signed, as the lines
    lines: tuple[Line, ...]


@attrs.frozen
class Statement:
    customer_id: int
    period: Period
    start: dt.datetime
    end: dt.datetime  # the month's end, or the moment it was made for the month under way
    opening: Money
    closing: Money
    charges: tuple[ServerCharges, ...]
    groups: tuple[KindGroup, ...]
    holder: str = ""  # the account's e-mail, as the statement is addressed
    # Of the closing balance, what was held then for orders being built (the rest is the wallet,
    # the `balance` of /api/balance).
    closing_held: Money | None = None

    @property
    def currency(self) -> str:
        return self.opening.currency

    @property
    def charged(self) -> Money:
        return Money(sum(c.amount.micro for c in self.charges), self.currency)

    @property
    def lines(self) -> tuple[Line, ...]:
        """Every line in order of time (then of posting)."""
        every = [line for c in self.charges for line in c.lines]
        every += [line for g in self.groups for line in g.lines]
        return tuple(sorted(every, key=lambda line: line.at))


def customer_money(customer_id: int, currency: str) -> tuple[LedgerAccount, LedgerAccount]:
    """The accounts a statement follows: the wallet, and what is held of it."""
    return LedgerAccount.wallet(customer_id, currency), LedgerAccount.holds(customer_id, currency)


def build_statement(
    customer_id: int,
    period: Period,
    end: dt.datetime,
    opening: Money,
    movements: Iterable[Transaction],
    servers: Iterable[ServerLife],
) -> Statement:
    """The statement of [period.start, end) from the money before it and the transactions in it
    (posting order)."""
    accounts = customer_money(customer_id, opening.currency)
    lines: list[tuple[Line, bool]] = []
    for tx in movements:
        change = sum(tx.change_for(account) for account in accounts)
        if change:
            line = Line(
                tx.key,
                tx.kind.value,
                tx.created_at,
                Money(change, opening.currency),
                tx.memo,
                tx.server_id,
            )
            lines.append((line, tx.kind in CHARGE_KINDS))
    closing = Money(opening.micro + sum(line.amount.micro for line, _ in lines), opening.currency)
    lives = {s.id: s for s in servers}
    by_server: dict[int | None, list[Line]] = {}
    by_kind: dict[str, list[Line]] = {}
    for line, is_charge in lines:
        if is_charge:
            by_server.setdefault(line.server_id, []).append(line)
        else:
            by_kind.setdefault(line.kind, []).append(line)
    charges = tuple(
        _server_charges(server_id, by_server[server_id], lives.get(server_id or 0), period, end)
        for server_id in sorted(by_server, key=lambda found: (found is None, found or 0))
    )
    groups = tuple(
        KindGroup(kind, _total(found, opening.currency), tuple(found))
        for kind, found in sorted(by_kind.items(), key=lambda item: _kind_place(item[0]))
    )
    return Statement(customer_id, period, period.start, end, opening, closing, charges, groups)


def _kind_place(kind: str) -> tuple[int, str]:
    return (KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER), kind)


def _total(lines: list[Line], currency: str) -> Money:
    return Money(sum(line.amount.micro for line in lines), currency)


def _server_charges(
    server_id: int | None,
    lines: list[Line],
    life: ServerLife | None,
    period: Period,
    end: dt.datetime,
) -> ServerCharges:
    start = stop = None
    if life is not None:
        start = max(life.created_at, period.start)
        stop = min(life.deleted_at or end, end)
        if stop < start:  # charged in the period for time before it (a late billing run)
            start = stop = None
    charged = -_total(lines, lines[0].amount.currency)
    return ServerCharges(server_id, life.name if life else None, start, stop, charged, tuple(lines))
