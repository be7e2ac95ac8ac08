"""A statement as JSON and as CSV (its PDF is statement_pdf.py): every amount to the micro-unit
in JSON and CSV, so that the lines add up to the closing balance exactly."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from domain.model.money import Money
from domain.model.statements import Line, ServerCharges, Statement
from entrypoints.http import codec

# What each kind of transaction is called on a statement; a kind added later is named after
# itself until it has a label here.
LABELS = {
    "top_up": "Top-ups",
    "payment": "Payments",
    "bonus": "Promo credits",
    "refund": "Refunds",
    "payment_refund": "Payment refunds",
    "adjustment": "Adjustments",
    "reversal": "Reversals",
}
EXACT = 6
CSV_COLUMNS = ("section", "from", "until", "description", "serverId", "hours", "amount")


def label(kind: str) -> str:
    return LABELS.get(kind, kind.replace("_", " ").capitalize())


def hours(charges: ServerCharges) -> str:
    return str((Decimal(charges.seconds) / 3600).quantize(Decimal("0.01")))


def _money(value: Money) -> dict[str, Any]:
    return codec.money(value, EXACT)


def _line(line: Line) -> dict[str, Any]:
    return {
        "id": line.key,
        "type": line.kind,
        "amount": _money(line.amount),
        "description": line.memo,
        "serverId": line.server_id,
        "createdAt": codec.when(line.at),
    }


def statement_json(st: Statement) -> dict[str, Any]:
    return {
        "customerId": st.customer_id,
        "period": str(st.period),
        "from": codec.when(st.start),
        "until": codec.when(st.end),
        "currency": st.currency,
        "openingBalance": _money(st.opening),
        "closingBalance": _money(st.closing),
        "closingHeld": _money(st.closing_held or Money.zero(st.currency)),
        "charges": {
            "total": _money(st.charged),
            "servers": [
                {
                    "serverId": c.server_id,
                    "name": c.name,
                    "from": codec.when(c.start),
                    "until": codec.when(c.end),
                    "hours": hours(c),
                    "amount": _money(c.amount),
                    "transactions": [_line(line) for line in c.lines],
                }
                for c in st.charges
            ],
        },
        "byKind": [
            {
                "kind": g.kind,
                "label": label(g.kind),
                "total": _money(g.total),
                "transactions": [_line(line) for line in g.lines],
            }
            for g in st.groups
        ],
    }


_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _text(value: str | None) -> str:
    # A spreadsheet runs a cell that starts like a formula: text never starts one here.
    value = value or ""
    return "'" + value if value.startswith(_FORMULA) else value


def statement_csv(st: Statement) -> bytes:
    """An opening row, a row per server charged (its time in the period, hours and the sum
    charged), a row per other transaction, and a closing row; amounts are signed as they changed
    the balance, so the amount column sums from the opening to the closing balance."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)

    def row(
        section: str, start: Any, end: Any, what: str, server: Any, spent: str, amount: Money
    ) -> None:
        writer.writerow([section, start, end, _text(what), server, spent, amount.format(EXACT)])

    row("opening balance", codec.when(st.start), "", f"in {st.currency}", "", "", st.opening)
    for c in st.charges:
        what = f"server {c.name}" if c.name else "charges for no server"
        end = codec.when(c.end)
        row("charges", codec.when(c.start), end, what, c.server_id or "", hours(c), -c.amount)
    for g in st.groups:
        for line in g.lines:
            row(label(g.kind), codec.when(line.at), "", line.memo, "", "", line.amount)
    row("closing balance", codec.when(st.end), "", "", "", "", st.closing)
    return out.getvalue().encode("utf-8")
