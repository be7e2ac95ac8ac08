"""Top-ups over HTTP in the sandbox: /api/payments, the checkout page, the admin's list and
refunds; money shows once in /api/balance and /api/transactions."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from api_support import Api, User, assert_error


def start(api: Api, user: User, amount: str = "500.00", key: str | None = None) -> Any:
    headers = {"Idempotency-Key": key} if key else {}
    result = api.post("/api/payments", user=user, json={"amount": amount}, headers=headers)
    assert result.status_code == 201, result.text
    return result.json


def page_of(payment: dict[str, Any]) -> str:
    return urlsplit(payment["confirmationUrl"]).path


def press(api: Api, payment: dict[str, Any], decision: str) -> Any:
    return api.raw(
        "POST",
        page_of(payment),
        f"decision={decision}",
        content_type="application/x-www-form-urlencoded",
    )


def test_a_top_up_through_the_checkout_page_is_credited_once(api: Api) -> None:
    user = api.customer(balance=None)
    payment = start(api, user)
    assert payment["status"] == "pending"
    assert payment["amount"] == {"amount": "500.00", "exact": "500.000000", "currency": "RUB"}
    assert {"id", "confirmationUrl", "createdAt"} <= payment.keys()
    shown = api.get(page_of(payment))
    assert shown.status_code == 200 and "500.00 RUB" in shown.text
    assert shown.headers["Content-Type"].startswith("text/html")
    assert "default-src 'none'" in shown.headers["Content-Security-Policy"]
    assert shown.headers["X-Content-Type-Options"] == "nosniff"
    for _ in range(3):
        paid = press(api, payment, "pay")
        assert paid.status_code == 200 and 'data-status="succeeded"' in paid.text
    assert api.balance(user) == "500.000000"
    txs = api.get("/api/transactions", user=user).json["data"]
    assert [(t["type"], t["amount"]["amount"]) for t in txs] == [("payment", "500.000000")]
    after = api.get(f"/api/payments/{payment['id']}", user=user).json
    assert after["status"] == "succeeded" and after["settledAt"]


def test_cancel_leaves_the_balance_unchanged(api: Api) -> None:
    user = api.customer(balance=None)
    payment = start(api, user)
    assert 'data-status="canceled"' in press(api, payment, "cancel").text
    assert 'data-status="canceled"' in press(api, payment, "pay").text
    assert api.balance(user) == "0.000000"
    assert api.get(f"/api/payments/{payment['id']}", user=user).json["status"] == "canceled"


def test_the_idempotency_key_opens_one_payment(api: Api) -> None:
    user = api.customer(balance=None)
    first, again = start(api, user, key="top-up-1"), start(api, user, key="top-up-1")
    assert again == first
    listed = api.get("/api/payments", user=user).json
    assert listed["meta"]["pagination"]["total"] == 1
    other = api.post(
        "/api/payments",
        user=user,
        json={"amount": "600.00"},
        headers={"Idempotency-Key": "top-up-1"},
    )
    assert_error(other, 409, "idempotency_key_reused")


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"amount": "99.99"}, 422, "rule_violation"),
        ({"amount": "1000000.01"}, 422, "rule_violation"),
        ({"amount": "100.005"}, 422, "rule_violation"),
        ({"amount": 500}, 400, "invalid"),
        ({"amount": "-1.00"}, 400, "invalid"),
        ({}, 400, "invalid"),
        ({"amount": "500.00", "extra": 1}, 400, "invalid"),
    ],
)
def test_bad_amounts_change_nothing(api: Api, body: Any, status: int, code: str) -> None:
    user = api.customer(balance=None)
    before = api.state()
    result = api.post("/api/payments", user=user, json=body)
    assert_error(result, status, code)
    assert api.state() == before
    assert api.get("/api/payments", user=user).json["meta"]["pagination"]["total"] == 0


def test_another_customers_payment_is_404(api: Api) -> None:
    owner, stranger = api.customer(balance=None), api.customer(balance=None)
    payment = start(api, owner)
    assert_error(api.get(f"/api/payments/{payment['id']}", user=stranger), 404, "not_found")
    assert api.get("/api/payments", user=stranger).json["data"] == []
    assert api.get("/api/payments").status_code == 401


def test_the_checkout_page_of_no_payment_and_a_bad_post(api: Api) -> None:
    assert api.get("/sandbox/checkout/no-such-thing").status_code == 404
    user = api.customer(balance=None)
    payment = start(api, user)
    assert press(api, payment, "steal").status_code == 400
    assert api.balance(user) == "0.000000"


def test_admin_lists_and_refunds_in_parts(api: Api, admin: User) -> None:
    user = api.customer(balance=None)
    payment = start(api, user)
    press(api, payment, "pay")
    listed = api.get("/api/admin/payments?status=succeeded", user=admin).json
    assert [p["id"] for p in listed["data"]] == [payment["id"]]
    assert_error(api.get("/api/admin/payments?status=lost", user=admin), 400, "invalid")
    assert_error(api.get("/api/admin/payments", user=user), 403, "forbidden")
    path = f"/api/admin/payments/{payment['id']}/refund"
    part = api.post(
        path,
        user=admin,
        json={"amount": "200.00", "reason": "asked"},
        headers={"Idempotency-Key": "refund-1"},
    )
    assert part.status_code == 200, part.text
    assert part.json["refunded"]["amount"] == "200.00"
    assert api.balance(user) == "300.000000"
    too_much = api.post(path, user=admin, json={"amount": "300.01", "reason": "asked"})
    assert_error(too_much, 422, "rule_violation")
    rest = api.post(path, user=admin, json={"reason": "the rest"})
    assert rest.status_code == 200 and rest.json["refunded"]["amount"] == "500.00"
    assert api.balance(user) == "0.000000"
    types = [t["type"] for t in api.get("/api/transactions", user=user).json["data"]]
    assert types == ["payment_refund", "payment_refund", "payment"]
    assert_error(api.post(path, user=user, json={"reason": "mine"}), 403, "forbidden")
    assert_error(
        api.post("/api/admin/payments/999/refund", user=admin, json={"reason": "x" * 3}),
        404,
        "not_found",
    )


def test_the_notification_route_exists_only_with_yookassa(api: Api) -> None:
    result = api.post("/api/payments/yookassa/notify", json={"event": "payment.succeeded"})
    assert result.status_code == 404
