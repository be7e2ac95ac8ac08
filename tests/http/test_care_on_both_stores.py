"""Tickets and statements through the API behave the same on the memory store and on PostgreSQL:
text comes back exactly as written, another customer sees nothing, and a statement closes at the
balance the API shows."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from api_support import Api, User, assert_error

from tests.contract.postgres import session_database

TEXT = "Сервер не отвечает <script>alert(1)</script> & 'кавычки'\n\n  с пробелами  "


@pytest.fixture(scope="module", params=["memory", "postgres"])
def api(request: pytest.FixtureRequest) -> Iterator[Api]:
    if request.param == "memory":
        yield Api()
        return
    for database in session_database():  # a scratch database, dropped when the module is done
        yield Api.on_postgres(database.pool)


@pytest.fixture(scope="module")
def customer(api: Api) -> User:
    return api.customer()


def test_a_ticket_and_its_answer_come_back_exactly_as_written(api: Api, customer: User) -> None:
    stranger = api.customer()
    opened = api.post("/api/tickets", user=customer, json={"subject": "Помощь", "message": TEXT})
    assert opened.status_code == 201, opened.text
    ticket = opened.json["id"]
    answered = api.post(
        f"/api/admin/tickets/{ticket}/messages", user=api.admin, json={"message": TEXT}
    )
    assert answered.status_code == 201, answered.text

    read = api.get(f"/api/tickets/{ticket}", user=customer).json

    assert [(m["author"], m["message"]) for m in read["messages"]] == [
        ("customer", TEXT),
        ("staff", TEXT),
    ]
    assert (read["subject"], read["status"]) == ("Помощь", "answered")
    assert [t["id"] for t in api.get("/api/tickets", user=customer).json["data"]] == [ticket]
    assert ticket in [
        t["id"] for t in api.get("/api/admin/tickets?status=answered", user=api.admin).json["data"]
    ]
    assert_error(api.get(f"/api/tickets/{ticket}", user=stranger), 404, "not_found")
    assert api.get("/api/tickets", user=stranger).json["data"] == []


def test_a_statement_closes_at_the_balance_in_every_format(api: Api, customer: User) -> None:
    api.credit(customer, "0.123456")  # (no catalogue on a new database: no orders here)
    balance = api.get("/api/balance", user=customer).json

    st = api.get("/api/statements/2026-01", user=customer)
    as_csv = api.get("/api/statements/2026-01?format=csv", user=customer)
    as_pdf = api.get(
        "/api/statements/2026-01", user=customer, headers={"Accept": "application/pdf"}
    )

    assert st.status_code == 200, st.text
    assert st.json["closingBalance"]["amount"] == balance["exact"]["amount"]
    assert as_csv.text.splitlines()[-1].endswith(f",{balance['exact']['amount']}")
    assert as_pdf.status_code == 200 and as_pdf.content.startswith(b"%PDF-")
