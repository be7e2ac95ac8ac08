"""Text with NUL and money past what the ledger holds are refused at the edge, naming the field, the
same on the memory store and on PostgreSQL: never the database's own message, never a 409 or a
201 that depends on the store."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from api_support import Api, User, api_on, assert_error

NUL = "a\u0000b"
# The first whole amount whose micro-units are past PostgreSQL's bigint (9,223,372,036,854.775807).
PAST_BIGINT = "9223372036855"


@pytest.fixture(scope="module", params=["memory", "postgres"])
def api(request: pytest.FixtureRequest) -> Iterator[Api]:
    yield from api_on(request.param)


@pytest.fixture(scope="module")
def customer(api: Api) -> User:
    return api.customer()


def seen_by(api: Api, customer: User) -> dict[str, Any]:
    """What the refused requests below could have changed, as the API shows it on any store."""
    return {
        "tokens": api.get("/api/tokens?perPage=100", user=customer).json["data"],
        "balance": api.get("/api/balance", user=customer).json,
        "transactions": api.get("/api/transactions", user=customer).json,
        "promos": api.get("/api/admin/promocodes", user=api.admin).json,
        "servers": api.get("/api/server", user=customer).json,
    }


def _requests(customer: User) -> Iterator[tuple[str, str, dict[str, Any], str, bool]]:
    """(method, path, body, field, as admin) for every free text field of every request body."""
    register = "/api/auth/register"
    yield "POST", register, {"email": "nul@example.com", "password": NUL}, "password", False
    yield "POST", "/api/auth/login", {"email": customer.email, "password": NUL}, "password", False
    yield "POST", "/api/tokens", {"name": NUL}, "name", False
    yield "POST", "/api/quote", {"osId": 1, "tariffId": 1, "promoCode": NUL}, "promoCode", False
    order = {"osId": 1, "tariffId": 1}
    yield "POST", "/api/server/create", {**order, "name": NUL}, "name", False
    yield "POST", "/api/server/create", {**order, "quoteId": NUL}, "quoteId", False
    yield "POST", "/api/server/create", {**order, "promoCode": NUL}, "promoCode", False
    snapshot = {"snapname": "kept", "description": NUL}
    yield "POST", "/api/server/999/snapshots", snapshot, "description", False
    rule = {"protocol": "tcp", "fromPort": 22}
    for field in ("source", "description"):
        body = {"rules": [{**rule, field: NUL}]}
        yield "PUT", "/api/server/999/firewall", body, f"rules.0.{field}", False
    credit = f"/api/admin/customers/{customer.id}/credit"
    yield "POST", credit, {"amount": "1.00", "reason": NUL}, "reason", True
    yield "POST", "/api/promocodes/redeem", {"code": NUL}, "code", False
    yield "POST", "/api/admin/promocodes", {"code": NUL, "kind": "bonus"}, "code", True
    yield "POST", register, {"email": f"a{NUL}@example.com", "password": "x"}, "email", False


def test_nul_in_any_text_field_is_400_naming_it_and_changes_nothing(
    api: Api, customer: User
) -> None:
    before = seen_by(api, customer)

    for method, path, body, field, as_admin in _requests(customer):
        result = api.request(
            method,
            path,
            user=api.admin if as_admin else customer,
            json=body,
            headers={"Idempotency-Key": api.new_key()},
        )
        error = assert_error(result, 400, "invalid", field)
        assert "PostgreSQL" not in error["error"] and "0x00" not in error["error"], error

    assert seen_by(api, customer) == before


@pytest.mark.parametrize("amount", [PAST_BIGINT, "1000000000000.01", "99999999999999"])
def test_an_amount_past_what_the_ledger_holds_is_400_naming_it(
    api: Api, customer: User, amount: str
) -> None:
    before = seen_by(api, customer)

    credit = api.post(
        f"/api/admin/customers/{customer.id}/credit",
        user=api.admin,
        json={"amount": amount, "reason": "too much"},
        headers={"Idempotency-Key": api.new_key()},
    )
    promo = api.post(
        "/api/admin/promocodes",
        user=api.admin,
        json={"code": "HUGE", "kind": "bonus", "amount": amount},
    )

    for result in (credit, promo):
        error = assert_error(result, 400, "invalid", "amount")
        assert "bigint" not in error["error"], error
    assert seen_by(api, customer) == before


def test_the_largest_amount_is_taken(api: Api) -> None:
    rich = api.customer(balance=None)

    api.credit(rich, "1000000000000.00")

    assert Decimal(api.balance(rich)) == Decimal("1000000000000")


def _strings(schema: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(schema, dict):
        kinds = schema.get("type")
        if kinds == "string" or (isinstance(kinds, list) and "string" in kinds):
            yield path, schema
        for key, value in schema.items():
            yield from _strings(value, f"{path}/{key}")
    elif isinstance(schema, list):
        for index, value in enumerate(schema):
            yield from _strings(value, f"{path}/{index}")


def test_the_document_refuses_nul_in_every_string_a_client_sends() -> None:
    document = Api().get("/api/openapi.json").json
    sent = [
        (f"{method.upper()} {path}", operation["requestBody"])
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if "requestBody" in operation
    ]
    assert sent

    for label, body in sent:
        for where, schema in _strings(body, label):
            pattern = schema.get("pattern", "")
            assert pattern, f"{where} takes any text, NUL included"
            assert not re.search(pattern, "a\u0000b"), f"{where} takes NUL"


def test_a_whole_number_spelled_with_a_fraction_or_an_exponent_is_that_integer(
    api: Api, customer: User
) -> None:
    # JSON Schema, and so the document, counts 22.0 as the integer 22: what it admits is taken.
    body = '{"rules": [{"protocol": "tcp", "fromPort": 22.0, "toPort": 2.2e1}]}'

    result = api.raw("PUT", "/api/server/999999/firewall", body, user=customer)

    assert_error(result, 404, "not_found")  # past the body's checks, to the server lookup
    for fraction in ("22.5", "1e400", "1e-400"):
        refused = api.raw(
            "PUT",
            "/api/server/999999/firewall",
            body.replace("22.0", fraction),
            user=customer,
        )
        assert_error(refused, 400, "invalid", "rules.0.fromPort")


def test_a_token_past_the_limit_is_a_rule_violation_not_malformed_input(
    api: Api, customer: User
) -> None:
    # The document cannot say how many tokens an account holds: the limit is 422, like every rule of
    # the moment, and 400 stays for what the document itself refuses.
    limit = api.rt.policy.max_tokens_per_customer
    held = len(api.get("/api/tokens?perPage=100", user=customer).json["data"])
    for number in range(held, limit):
        made = api.post("/api/tokens", user=customer, json={"name": f"t{number}"})
        assert made.status_code == 201

    result = api.post("/api/tokens", user=customer, json={"name": "one more"})

    assert_error(result, 422, "rule_violation", "name")
    assert api.get("/api/tokens", user=customer).json["meta"]["pagination"]["total"] == limit
