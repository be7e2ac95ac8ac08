"""The caller's money: balance (and its Oxnack alias), transactions, redeeming a bonus code."""

from __future__ import annotations

import pytest
from api_support import FIRST_CHARGE, RFC3339_UTC, Api, User, assert_error, is_money


@pytest.mark.parametrize("path", ["/api/balance", "/get_balance"])
def test_balance(api: Api, customer: User, path: str) -> None:
    result = api.get(path, user=customer)

    assert result.status_code == 200
    body = result.json
    assert body == {
        "balance": {"amount": "1000.00", "exact": "1000.000000", "currency": "RUB"},
        "held": {"amount": "0.00", "exact": "0.000000", "currency": "RUB"},
        "hourlyBurn": {"amount": "0.000000", "exact": "0.000000", "currency": "RUB"},
        "standing": "active",
        "exact": {"amount": "1000.000000", "exact": "1000.000000", "currency": "RUB"},
    }


def test_balance_after_an_order_shows_the_first_charge_and_the_burn(
    api: Api, customer: User
) -> None:
    api.running_server(customer)

    body = api.get("/get_balance", user=customer).json

    assert body["balance"]["amount"] == "999.05"
    assert body["hourlyBurn"]["amount"] == "0.950000"


@pytest.mark.parametrize("path", ["/api/balance", "/get_balance", "/api/transactions"])
def test_money_needs_a_login(api: Api, path: str) -> None:
    assert_error(api.get(path), 401, "unauthenticated")


def test_transactions_newest_first_with_pagination(api: Api, customer: User) -> None:
    api.running_server(customer)  # a hold, then its capture

    result = api.get("/api/transactions", user=customer)

    assert result.status_code == 200
    body = result.json
    assert body["meta"] == {
        "pagination": {"page": 1, "perPage": 25, "per_page": 25, "total": 3, "pages": 1}
    }
    assert [t["type"] for t in body["data"]] == ["capture", "hold", "adjustment"]
    hold = body["data"][1]
    assert set(hold) == {"id", "type", "amount", "held", "description", "serverId", "createdAt"}
    assert hold["amount"] == {
        "amount": f"-{FIRST_CHARGE}0000",
        "exact": f"-{FIRST_CHARGE}0000",
        "currency": "RUB",
    }
    assert is_money(hold["held"]) and RFC3339_UTC.match(hold["createdAt"])

    second = api.get("/api/transactions?page=2&per_page=2", user=customer).json
    assert second["meta"]["pagination"] == {
        "page": 2,
        "perPage": 2,
        "per_page": 2,
        "total": 3,
        "pages": 2,
    }
    assert [t["type"] for t in second["data"]] == ["adjustment"]


def test_transactions_are_the_callers_only(api: Api, customer: User, stranger: User) -> None:
    api.running_server(stranger)

    assert api.get("/api/transactions", user=customer).json["meta"]["pagination"]["total"] == 1


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=abc", "page"),
        ("page=1.5", "page"),
        ("per_page=0", "per_page"),
        ("per_page=101", "per_page"),
        ("page=%D9%A3", "page"),
        ("page=" + "9" * 40, "page"),
    ],
)
def test_transactions_refuse_bad_pagination(
    api: Api, customer: User, query: str, field: str
) -> None:
    assert_error(api.get(f"/api/transactions?{query}", user=customer), 400, "invalid", field)


# --- redeeming a bonus code -----------------------------------------------------------------------


def _bonus(api: Api, admin: User, code: str = "WELCOME100", **extra: object) -> None:
    result = api.post(
        "/api/admin/promocodes",
        user=admin,
        json={"code": code, "kind": "bonus", "amount": "100.00", **extra},
    )
    assert result.status_code == 201, result.text


def test_redeeming_a_bonus_code_credits_the_balance(api: Api, admin: User, customer: User) -> None:
    _bonus(api, admin)

    result = api.post("/api/promocodes/redeem", user=customer, json={"code": "welcome100"})

    assert result.status_code == 200
    body = result.json
    assert body["balance"] == {"amount": "1100.00", "exact": "1100.000000", "currency": "RUB"}
    assert body["transaction"]["type"] == "bonus"
    assert body["transaction"]["amount"] == {
        "amount": "100.000000",
        "exact": "100.000000",
        "currency": "RUB",
    }
    assert api.balance(customer) == "1100.000000"


def test_a_bonus_code_is_redeemed_once_per_customer(api: Api, admin: User, customer: User) -> None:
    _bonus(api, admin)
    api.post("/api/promocodes/redeem", user=customer, json={"code": "WELCOME100"})
    before = api.state()

    result = api.post("/api/promocodes/redeem", user=customer, json={"code": "WELCOME100"})

    body = assert_error(result, 422, "promo_code_rejected")
    assert body["details"]["reason"] == "already_used"
    assert api.state() == before


def test_a_discount_code_is_not_redeemed_on_the_balance(
    api: Api, admin: User, customer: User
) -> None:
    api.post(
        "/api/admin/promocodes", user=admin, json={"code": "HALF", "kind": "percent", "percent": 50}
    )
    before = api.state()

    body = assert_error(
        api.post("/api/promocodes/redeem", user=customer, json={"code": "HALF"}),
        422,
        "promo_code_rejected",
    )

    assert body["details"]["reason"] == "wrong_use"
    assert api.state() == before


def test_an_expired_bonus_code_is_422(api: Api, admin: User, customer: User) -> None:
    _bonus(api, admin, validUntil="2026-01-15T11:00:00Z")
    api.clock.advance(3601)

    body = assert_error(
        api.post("/api/promocodes/redeem", user=customer, json={"code": "WELCOME100"}),
        422,
        "promo_code_rejected",
    )
    assert body["details"]["reason"] == "expired"
    assert api.balance(customer) == "1000.000000"


def test_redeeming_an_unknown_code_is_404(api: Api, customer: User) -> None:
    before = api.state()

    assert_error(
        api.post("/api/promocodes/redeem", user=customer, json={"code": "NOPE"}), 404, "not_found"
    )
    assert api.state() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "code"),
        ({"code": ""}, "code"),
        ({"code": 100}, "code"),
        ({"code": "x" * 41}, "code"),
        ({"code": "a b"}, "code"),
        ({"code": "!!"}, "code"),
        ({"code": "WELCOME100", "amount": "1000000.00"}, "amount"),
    ],
)
def test_redeeming_refuses_bad_input(
    api: Api, admin: User, customer: User, body: dict[str, object], field: str
) -> None:
    _bonus(api, admin)
    before = api.state()

    assert_error(
        api.post("/api/promocodes/redeem", user=customer, json=body), 400, "invalid", field
    )
    assert api.state() == before


def test_redeeming_needs_a_login(api: Api) -> None:
    assert_error(
        api.post("/api/promocodes/redeem", json={"code": "WELCOME100"}), 401, "unauthenticated"
    )


def test_a_redemption_retried_with_its_idempotency_key_is_replayed(
    api: Api, admin: User, customer: User
) -> None:
    _bonus(api, admin)
    key = {"Idempotency-Key": "redeem-1"}

    first = api.post(
        "/api/promocodes/redeem", user=customer, json={"code": "WELCOME100"}, headers=key
    )
    again = api.post(
        "/api/promocodes/redeem", user=customer, json={"code": "WELCOME100"}, headers=key
    )

    assert first.status_code == again.status_code == 200
    assert again.json == first.json
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert api.balance(customer) == "1100.000000"


def test_per_page_is_taken_by_either_spelling_and_the_camel_case_one_wins(
    api: Api, customer: User
) -> None:
    camel = api.get("/api/transactions", user=customer, params={"perPage": 1}).json
    snake = api.get("/api/transactions", user=customer, params={"per_page": 1}).json
    assert camel == snake and len(camel["data"]) == 1
    assert camel["meta"]["pagination"]["perPage"] == 1
    both = api.get("/api/transactions", user=customer, params={"perPage": 1, "per_page": 2}).json
    assert len(both["data"]) == 1 and both["meta"]["pagination"]["perPage"] == 1


def test_a_balance_is_rounded_half_up_beside_its_exact_value(api: Api, customer: User) -> None:
    """996.409444 read as 996.40 when amounts were cut off; it is 996.41, and exactly 996.409444."""
    debit = api.post(
        f"/api/admin/customers/{customer.id}/debit",
        user=api.admin,
        json={"amount": "3.590556", "reason": "a fraction of a kopeck"},
        headers={"Idempotency-Key": "fraction"},
    )
    assert debit.status_code == 200, debit.text
    balance = api.get("/api/balance", user=customer).json["balance"]
    assert balance == {"amount": "996.41", "exact": "996.409444", "currency": "RUB"}
