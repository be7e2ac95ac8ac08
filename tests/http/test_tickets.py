"""Support tickets over HTTP: the customer's own, staff's view, the e-mail a reply queues, and
every refusal leaving things as they were."""

from __future__ import annotations

from typing import Any

import pytest
from api_support import Api, User, assert_error

from domain.model.tickets import CUSTOMER_WRITES, MESSAGE_MAX
from ports.paging import Page


def _open(api: Api, user: User, **body: Any) -> dict[str, Any]:
    sent = {"subject": "Server is slow", "message": "It takes ages to boot.", **body}
    result = api.post("/api/tickets", user=user, json=sent)
    assert result.status_code == 201, result.text
    return result.json  # type: ignore[no-any-return]


def _replies(api: Api, user: User) -> list[Any]:
    with api.rt.uow() as uow:
        notices, _ = uow.outbox.list(Page(1, 100))
    return [n for n in notices if n.account_id == user.id and n.template == "ticket_reply"]


def test_a_customer_opens_a_ticket_and_reads_it_back_with_its_message(
    api: Api, customer: User
) -> None:
    text = "Line one\n\n  <b>kept</b> exactly  \n"
    opened = _open(api, customer, message=text)

    assert opened["status"] == "open" and opened["userId"] == customer.id
    assert opened["messages"] == [
        {"author": "customer", "message": text, "at": opened["createdAt"]}
    ]
    read = api.get(f"/api/tickets/{opened['id']}", user=customer)
    assert read.status_code == 200 and read.json == opened


def test_the_list_is_paginated_newest_first_and_holds_only_the_callers_tickets(
    api: Api, customer: User, stranger: User
) -> None:
    ids = [_open(api, customer, subject=f"question {n}")["id"] for n in range(3)]
    _open(api, stranger)

    first = api.get("/api/tickets?per_page=2", user=customer).json
    second = api.get("/api/tickets?per_page=2&page=2", user=customer).json

    assert [t["id"] for t in first["data"] + second["data"]] == ids[::-1]
    assert first["meta"]["pagination"] == {
        "page": 1,
        "perPage": 2,
        "per_page": 2,
        "total": 3,
        "pages": 2,
    }
    assert "messages" not in first["data"][0] and first["data"][0]["messageCount"] == 1


def test_another_customers_ticket_is_not_found_for_every_route(
    api: Api, customer: User, stranger: User
) -> None:
    ticket = _open(api, customer)["id"]
    before = api.state()

    assert_error(api.get(f"/api/tickets/{ticket}", user=stranger), 404, "not_found")
    written = api.post(f"/api/tickets/{ticket}/messages", user=stranger, json={"message": "hi"})
    assert_error(written, 404, "not_found")
    assert_error(api.post(f"/api/tickets/{ticket}/close", user=stranger), 404, "not_found")
    assert api.get("/api/tickets", user=stranger).json["data"] == []
    assert api.state() == before


def test_a_ticket_names_only_the_customers_own_server(
    api: Api, customer: User, stranger: User
) -> None:
    mine = api.running_server(customer)["id"]
    theirs = api.running_server(stranger)["id"]
    before = api.state()

    refused = api.post(
        "/api/tickets", user=customer, json={"subject": "s", "message": "m", "serverId": theirs}
    )

    assert_error(refused, 404, "not_found")
    assert api.state() == before
    assert _open(api, customer, serverId=mine)["serverId"] == mine


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"message": "m"}, "subject"),
        ({"subject": "s"}, "message"),
        ({"subject": "   ", "message": "m"}, "subject"),
        ({"subject": "two\nlines", "message": "m"}, "subject"),
        ({"subject": "s", "message": " \n "}, "message"),
        ({"subject": "s", "message": "x" * (MESSAGE_MAX + 1)}, "message"),
        ({"subject": "s", "message": "nul \u0000"}, "message"),
        ({"subject": "s", "message": "m", "serverId": "1"}, "serverId"),
        ({"subject": "s", "message": "m", "priority": "high"}, "priority"),
    ],
)
def test_a_bad_body_is_a_400_naming_the_field_and_opens_nothing(
    api: Api, customer: User, body: dict[str, Any], field: str
) -> None:
    before = api.state()
    assert_error(api.post("/api/tickets", user=customer, json=body), 400, "invalid", field)
    assert api.state() == before


def test_staff_answer_mails_the_customer_once_and_marks_the_ticket_answered(
    api: Api, customer: User, admin: User
) -> None:
    ticket = _open(api, customer, subject="Disk <full>")["id"]

    answered = api.post(
        f"/api/admin/tickets/{ticket}/messages",
        user=admin,
        json={"message": "Delete old <snapshots> & retry {link} {0}"},
        headers={"Idempotency-Key": "reply-1"},
    )
    replayed = api.post(
        f"/api/admin/tickets/{ticket}/messages",
        user=admin,
        json={"message": "Delete old <snapshots> & retry {link} {0}"},
        headers={"Idempotency-Key": "reply-1"},
    )

    assert answered.status_code == 201 and answered.json["status"] == "answered"
    assert replayed.json == answered.json and replayed.headers["Idempotent-Replayed"] == "true"
    assert [m["author"] for m in answered.json["messages"]] == ["customer", "staff"]
    [mail] = _replies(api, customer)
    assert mail.subject == f"Re: Disk <full> [ticket #{ticket}]"
    assert "Delete old <snapshots> & retry {link} {0}" in mail.body  # never read as a template
    assert (
        "Delete old &lt;snapshots&gt; &amp; retry" in mail.html and "<snapshots>" not in mail.html
    )
    assert api.get(f"/api/tickets/{ticket}", user=customer).json == answered.json


def test_staff_lists_every_ticket_by_status_and_sets_statuses(
    api: Api, customer: User, stranger: User, admin: User
) -> None:
    first, second = _open(api, customer)["id"], _open(api, stranger)["id"]
    changed = api.post(f"/api/admin/tickets/{first}/status", user=admin, json={"status": "waiting"})
    assert changed.status_code == 200 and changed.json["status"] == "waiting"

    def listed(status: str) -> list[int]:
        result = api.get(f"/api/admin/tickets?status={status}", user=admin)
        assert result.status_code == 200, result.text
        return [t["id"] for t in result.json["data"]]

    assert (listed("open"), listed("waiting"), listed("closed")) == ([second], [first], [])
    everything = api.get("/api/admin/tickets", user=admin).json["data"]
    assert [t["id"] for t in everything] == [second, first]
    assert api.get(f"/api/admin/tickets/{second}", user=admin).json["messageCount"] == 1
    assert_error(api.get("/api/admin/tickets?status=lost", user=admin), 400, "invalid", "status")
    bad = api.post(f"/api/admin/tickets/{first}/status", user=admin, json={"status": "done"})
    assert_error(bad, 400, "invalid", "status")


def test_customers_cannot_use_the_staff_routes(api: Api, customer: User) -> None:
    ticket = _open(api, customer)["id"]
    before = api.state()

    assert_error(api.get("/api/admin/tickets", user=customer), 403, "forbidden")
    reply = api.post(
        f"/api/admin/tickets/{ticket}/messages", user=customer, json={"message": "self-service"}
    )
    assert_error(reply, 403, "forbidden")
    assert api.state() == before


def test_a_closed_ticket_takes_no_message_until_staff_opens_it_again(
    api: Api, customer: User, admin: User
) -> None:
    ticket = _open(api, customer)["id"]
    closed = api.post(f"/api/tickets/{ticket}/close", user=customer)
    again = api.post(f"/api/tickets/{ticket}/close", user=customer)
    assert closed.json["status"] == again.json["status"] == "closed"
    assert again.json["updatedAt"] == closed.json["updatedAt"]
    before = api.state()

    late = api.post(f"/api/tickets/{ticket}/messages", user=customer, json={"message": "one more"})
    staff = api.post(f"/api/admin/tickets/{ticket}/messages", user=admin, json={"message": "ok"})

    assert_error(late, 409, "invalid_state")
    assert_error(staff, 409, "invalid_state")
    assert api.state() == before
    api.post(f"/api/admin/tickets/{ticket}/status", user=admin, json={"status": "open"})
    written = api.post(f"/api/tickets/{ticket}/messages", user=customer, json={"message": "thx"})
    assert written.status_code == 201 and written.json["messageCount"] == 2


def test_a_customers_message_opens_an_answered_ticket_again(
    api: Api, customer: User, admin: User
) -> None:
    ticket = _open(api, customer)["id"]
    api.post(f"/api/admin/tickets/{ticket}/messages", user=admin, json={"message": "Done?"})

    written = api.post(f"/api/tickets/{ticket}/messages", user=customer, json={"message": "No"})

    assert written.json["status"] == "open"
    assert [m["message"] for m in written.json["messages"]] == [
        "It takes ages to boot.",
        "Done?",
        "No",
    ]


def test_what_a_customer_writes_is_rate_limited_per_customer(
    api: Api, customer: User, stranger: User
) -> None:
    ticket = _open(api, customer)["id"]
    for n in range(CUSTOMER_WRITES - 1):
        sent = api.post(f"/api/tickets/{ticket}/messages", user=customer, json={"message": f"{n}"})
        assert sent.status_code == 201, sent.text
    before = api.state()

    refused = api.post("/api/tickets", user=customer, json={"subject": "s", "message": "m"})

    body = assert_error(refused, 429, "rate_limited")
    assert int(refused.headers["Retry-After"]) == body["details"]["retryAfter"] > 0
    assert api.state() == before
    assert _open(api, stranger)["status"] == "open"  # the allowance is per customer


def test_the_document_describes_the_ticket_routes(api: Api) -> None:
    paths = api.get("/api/openapi.json").json["paths"]

    assert {"get", "post"} <= set(paths["/api/tickets"])
    assert paths["/api/tickets"]["post"]["responses"]["201"]
    assert "post" in paths["/api/admin/tickets/{ticket_id}/messages"]
    assert "status" in {p["name"] for p in paths["/api/admin/tickets"]["get"]["parameters"]}


def test_a_token_needs_the_tickets_scope_and_a_statement_billing_read(
    api: Api, customer: User
) -> None:
    def token(*scopes: str) -> User:
        made = api.post("/api/tokens", user=customer, json={"name": "t", "scopes": list(scopes)})
        assert made.status_code == 201, made.text
        return User(customer.id, customer.email, made.json["token"], "")

    support, accounting = token("tickets"), token("billing:read")
    body = {"subject": "s", "message": "m"}

    assert api.post("/api/tickets", user=support, json=body).status_code == 201
    assert api.get("/api/statements/2026-01", user=accounting).status_code == 200
    refused = assert_error(
        api.post("/api/tickets", user=accounting, json=body), 403, "insufficient_scope"
    )
    assert refused["details"]["scope"] == "tickets"
    statement = api.get("/api/statements/2026-01", user=support)
    assert assert_error(statement, 403, "insufficient_scope")["details"]["scope"] == "billing:read"
