"""Monthly statements over HTTP: a month with orders, usage, a payment, a promo credit and a
refund sums to the ledger in JSON and CSV; the PDF renders (pdftoppm) to a page that is not blank;
admins read anyone's; bad periods and formats are refused."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import shutil
import subprocess
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import Any

import pytest
from api_support import Api, User, assert_error

from domain.model import ledger_movements as M
from domain.model.ledger import LedgerAccount
from domain.model.ledger_movements import top_up
from domain.model.money import Money
from domain.usecases.billing import billing_run

MONTH = "2026-01"  # the Api's clock starts on 2026-01-15 10:00 UTC


def _amount(value: dict[str, str]) -> Decimal:
    assert value["currency"] == "RUB"
    return Decimal(value["amount"])


def _ledger_money(api: Api, user: User) -> Decimal:
    with api.rt.uow() as uow:
        micro = uow.ledger.balance(LedgerAccount.wallet(user.id, "RUB")) + uow.ledger.balance(
            LedgerAccount.holds(user.id, "RUB")
        )
    return Decimal(micro) / 1_000_000


@pytest.fixture
def busy_month(api: Api, customer: User, admin: User) -> dict[str, Any]:
    """Two orders, five hours of usage, a payment, a promo credit and a refund, all in MONTH."""
    web = api.running_server(customer)
    db = api.running_server(customer)
    api.clock.advance(dt.timedelta(hours=5))
    billing_run(api.rt)
    with api.rt.uow() as uow:  # money from outside, as a payment gateway's top-up posts it
        uow.ledger.post(
            top_up(customer.id, Money(500_000_000, "RUB"), key="pay-1", now=api.clock.now())
        )
        uow.commit()
    api.post(
        "/api/admin/promocodes",
        user=admin,
        json={"code": "SPRING", "kind": "bonus", "amount": "50.00"},
    )
    api.post("/api/promocodes/redeem", user=customer, json={"code": "SPRING"})
    usage = next(
        t
        for t in api.get("/api/transactions", user=customer).json["data"]
        if t["type"] == "usage" and t["serverId"] == db["id"]
    )
    refund = Money(-int(Decimal(usage["amount"]["amount"]) * 1_000_000), "RUB")
    with api.rt.uow() as uow:  # as an admin's refund of that charge posts it
        uow.ledger.post(
            M.refund(
                customer.id,
                refund,
                key=f"{usage['id']}:refund",
                now=api.clock.now(),
                memo="медленный диск <b>",
                server_id=db["id"],
            )
        )
        uow.commit()
    return {"web": web["id"], "db": db["id"], "refund": -Decimal(usage["amount"]["amount"])}


def test_a_busy_month_sums_to_the_ledger(
    api: Api, customer: User, busy_month: dict[str, Any]
) -> None:
    result = api.get(f"/api/statements/{MONTH}", user=customer)

    assert result.status_code == 200, result.text
    st = result.json
    assert (st["period"], st["from"], st["until"]) == (
        MONTH,
        "2026-01-01T00:00:00Z",
        "2026-01-15T15:00:00Z",
    )
    assert _amount(st["openingBalance"]) == 0
    servers = {s["serverId"]: s for s in st["charges"]["servers"]}
    assert set(servers) == {busy_month["web"], busy_month["db"]}
    for charged in servers.values():
        assert charged["hours"] == "5.00" and charged["from"] == "2026-01-15T10:00:00Z"
        assert {t["type"] for t in charged["transactions"]} == {"capture", "usage"}
        assert _amount(charged["amount"]) == -sum(
            _amount(t["amount"]) for t in charged["transactions"]
        )
    kinds = {g["kind"]: g for g in st["byKind"]}
    assert set(kinds) == {"adjustment", "top_up", "bonus", "refund"}
    assert (kinds["bonus"]["label"], _amount(kinds["bonus"]["total"])) == ("Promo credits", 50)
    assert _amount(kinds["top_up"]["total"]) == 500
    assert _amount(kinds["refund"]["total"]) == busy_month["refund"] > 0
    lines = [t for s in servers.values() for t in s["transactions"]]
    lines += [t for g in kinds.values() for t in g["transactions"]]
    closing = _amount(st["openingBalance"]) + sum(_amount(t["amount"]) for t in lines)
    assert closing == _amount(st["closingBalance"]) == _ledger_money(api, customer)
    assert _amount(st["charges"]["total"]) == sum(_amount(s["amount"]) for s in servers.values())


def test_the_csv_sums_from_the_opening_to_the_closing_balance(
    api: Api, customer: User, busy_month: dict[str, Any]
) -> None:
    result = api.get(f"/api/statements/{MONTH}", user=customer, headers={"Accept": "text/csv"})

    assert result.status_code == 200
    assert result.headers["content-type"] == "text/csv; charset=utf-8"
    assert "statement-" in result.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(result.text)))
    assert rows[0]["section"] == "opening balance" and rows[-1]["section"] == "closing balance"
    middle = [Decimal(r["amount"]) for r in rows[1:-1]]
    assert Decimal(rows[0]["amount"]) + sum(middle) == Decimal(rows[-1]["amount"])
    assert Decimal(rows[-1]["amount"]) == _ledger_money(api, customer)
    assert [r["hours"] for r in rows if r["section"] == "charges"] == ["5.00", "5.00"]
    assert {"Top-ups", "Promo credits", "Refunds", "Adjustments"} <= {r["section"] for r in rows}


def test_a_memo_that_looks_like_a_formula_is_text_in_the_csv(
    api: Api, customer: User, admin: User
) -> None:
    credited = api.post(
        f"/api/admin/customers/{customer.id}/credit",
        user=admin,
        json={"amount": "1.00", "reason": '=HYPERLINK("http://evil")'},
        headers={"Idempotency-Key": "formula"},
    )
    assert credited.status_code == 200, credited.text
    rows = list(
        csv.reader(io.StringIO(api.get(f"/api/statements/{MONTH}?format=csv", user=customer).text))
    )
    assert '\'=HYPERLINK("http://evil")' in [r[3] for r in rows]


def test_the_pdf_renders_to_a_page_that_is_not_blank(
    api: Api, customer: User, busy_month: dict[str, Any], tmp_path: Path
) -> None:
    if shutil.which("pdftoppm") is None:  # `make test` installs poppler-utils where missing
        message = "pdftoppm (Debian's poppler-utils) is not installed"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    by_accept = api.get(
        f"/api/statements/{MONTH}", user=customer, headers={"Accept": "application/pdf"}
    )
    by_query = api.get(f"/api/statements/{MONTH}?format=pdf", user=customer)

    assert by_accept.status_code == by_query.status_code == 200
    assert by_accept.headers["content-type"] == "application/pdf"
    assert by_accept.content.startswith(b"%PDF-") and by_query.content.startswith(b"%PDF-")
    (tmp_path / "statement.pdf").write_bytes(by_accept.content)
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "40",
            "-gray",
            "-f",
            "1",
            "-l",
            "1",
            str(tmp_path / "statement.pdf"),
            str(tmp_path / "page"),
        ],
        check=True,
        timeout=60,
    )
    text = subprocess.run(
        ["pdftotext", "-layout", str(tmp_path / "statement.pdf"), "-"],
        check=True,
        capture_output=True,
        timeout=60,
    ).stdout.decode()
    closing = Decimal(
        api.get(f"/api/statements/{MONTH}", user=customer).json["closingBalance"]["amount"]
    )
    assert customer.email in text and "Statement for 2026-01" in text
    assert "медленный диск <b>" in text  # Cyrillic and markup print as written
    assert (
        f"{closing.quantize(Decimal('0.01'), rounding=ROUND_DOWN)}"
        in text.split("Closing balance")[1]
    )
    [page] = tmp_path.glob("page*.pgm")
    pixels = _pgm_pixels(page.read_bytes())
    dark = sum(1 for p in pixels if p < 128)
    assert 0.002 < dark / len(pixels) < 0.5, dark / len(pixels)  # text, not an empty page


def _pgm_pixels(data: bytes) -> bytes:
    """The gray levels of a binary PGM (P5, 8-bit), as pdftoppm -gray writes it."""
    fields: list[bytes] = []
    position = 0
    while len(fields) < 4:
        while data[position : position + 1].isspace():
            position += 1
        end = position
        while not data[end : end + 1].isspace():
            end += 1
        fields.append(data[position:end])
        position = end
    assert fields[0] == b"P5" and fields[3] == b"255"
    width, height = int(fields[1]), int(fields[2])
    return data[position + 1 : position + 1 + width * height]


def test_an_admin_reads_any_customers_statement_and_a_customer_cannot(
    api: Api, customer: User, stranger: User, admin: User
) -> None:
    path = f"/api/admin/customers/{customer.id}/statements/{MONTH}"

    as_admin = api.get(path, user=admin)
    own = api.get(f"/api/statements/{MONTH}", user=customer)

    assert as_admin.status_code == 200 and as_admin.json == own.json
    assert as_admin.json["customerId"] == customer.id
    assert api.get(f"{path}?format=pdf", user=admin).content.startswith(b"%PDF-")
    assert_error(api.get(path, user=stranger), 403, "forbidden")
    missing = f"/api/admin/customers/999999/statements/{MONTH}"
    assert_error(api.get(missing, user=admin), 404, "not_found")


def test_a_month_with_nothing_in_it_opens_and_closes_at_the_same_balance(
    api: Api, customer: User
) -> None:
    api.clock.advance(dt.timedelta(days=20))  # into February: January's money is carried over
    customer = api.login(customer.email)  # the first login's session has run out

    st = api.get("/api/statements/2026-02", user=customer).json

    assert (
        st["openingBalance"]
        == st["closingBalance"]
        == {"amount": "1000.000000", "exact": "1000.000000", "currency": "RUB"}
    )
    assert st["charges"] == {
        "total": {"amount": "0.000000", "exact": "0.000000", "currency": "RUB"},
        "servers": [],
    }
    assert st["byKind"] == []
    assert (
        api.get("/api/statements/2025-12", user=customer).json["closingBalance"]["amount"]
        == "0.000000"
    )


@pytest.mark.parametrize(
    ("path", "status", "code", "field"),
    [
        ("/api/statements/2026-13", 400, "invalid", "period"),
        ("/api/statements/26-01", 400, "invalid", "period"),
        ("/api/statements/2026-1", 400, "invalid", "period"),
        ("/api/statements/january", 400, "invalid", "period"),
        ("/api/statements/\uff12\uff10\uff12\uff16-01", 400, "invalid", "period"),
        ("/api/statements/2026-02", 422, "rule_violation", "period"),
        (f"/api/statements/{MONTH}?format=xls", 400, "invalid", "format"),
    ],
)
def test_a_bad_period_or_format_is_refused(
    api: Api, customer: User, path: str, status: int, code: str, field: str
) -> None:
    assert_error(api.get(path, user=customer), status, code, field)


def test_the_document_describes_the_statement_routes_and_their_formats(api: Api) -> None:
    paths = api.get("/api/openapi.json").json["paths"]
    operation = paths["/api/statements/{period}"]["get"]

    assert set(operation["responses"]["200"]["content"]) == {
        "application/json",
        "text/csv",
        "application/pdf",
    }
    [period] = [p for p in operation["parameters"] if p["name"] == "period"]
    assert period["schema"]["type"] == "string"
    assert "get" in paths["/api/admin/customers/{customer_id}/statements/{period}"]
