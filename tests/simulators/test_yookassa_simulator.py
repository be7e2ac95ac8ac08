"""The YooKassa simulator keeps the published API's rules: Basic auth, Idempotence-Key, amounts,
statuses and which moves they allow, refund bounds, errors' shape, notifications."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from simulators.yookassa import YooKassaSimulator

AUTH = ("100500", "test_secret")


@pytest.fixture
def sim() -> Iterator[YooKassaSimulator]:
    with YooKassaSimulator(*AUTH) as started:
        yield started


def call(
    sim: YooKassaSimulator,
    method: str,
    path: str,
    body: Any = None,
    key: str | None = None,
    auth: tuple[str, str] = AUTH,
) -> requests.Response:
    headers = {"Idempotence-Key": key} if key else {}
    return requests.request(
        method, sim.url + path, json=body, headers=headers, auth=auth, timeout=5
    )


PAYMENT = {
    "amount": {"value": "500.00", "currency": "RUB"},
    "capture": True,
    "confirmation": {"type": "redirect", "return_url": "https://shop.example/back"},
}


def test_a_payment_is_created_once_per_idempotence_key(sim: YooKassaSimulator) -> None:
    first = call(sim, "POST", "/payments", PAYMENT, "key-1")
    again = call(sim, "POST", "/payments", PAYMENT, "key-1")
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    created = first.json()
    assert (created["status"], created["paid"], len(created["id"])) == ("pending", False, 36)
    assert created["confirmation"]["confirmation_url"].startswith("http://127.0.0.1")
    other = call(sim, "POST", "/payments", {**PAYMENT, "description": "x"}, "key-1")
    assert other.status_code == 400
    assert other.json()["code"] == "invalid_request"
    assert other.json()["parameter"] == "Idempotence-Key"
    assert len(sim.shop.payments) == 1


@pytest.mark.parametrize(
    ("body", "key", "parameter"),
    [
        (PAYMENT, None, "Idempotence-Key"),
        (PAYMENT, "k" * 65, "Idempotence-Key"),
        ({**PAYMENT, "amount": {"value": "500.001", "currency": "RUB"}}, "a", "amount.value"),
        ({**PAYMENT, "amount": {"value": "0.00", "currency": "RUB"}}, "b", "amount.value"),
        ({**PAYMENT, "amount": {"value": 500, "currency": "RUB"}}, "c", "amount.value"),
        ({**PAYMENT, "description": "d" * 129}, "d", "description"),
        ({**PAYMENT, "metadata": {"n": 1}}, "e", "metadata"),
    ],
)
def test_bad_requests_are_400_naming_the_parameter(
    sim: YooKassaSimulator, body: Any, key: str | None, parameter: str
) -> None:
    answer = call(sim, "POST", "/payments", body, key)
    assert answer.status_code == 400
    assert answer.json()["type"] == "error" and answer.json()["parameter"] == parameter
    assert sim.shop.payments == {}


def test_wrong_credentials_and_unknown_ids(sim: YooKassaSimulator) -> None:
    assert call(sim, "GET", "/payments/x", auth=("100500", "nope")).json()["code"] == (
        "invalid_credentials"
    )
    missing = call(sim, "GET", "/payments/2419a771-000f-5000-9000-1edaf29243f2")
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")


def test_one_stage_payment_succeeds_and_is_refunded_within_bounds(sim: YooKassaSimulator) -> None:
    created = call(sim, "POST", "/payments", PAYMENT, "k").json()
    sim.buyer_pays(created["id"])
    paid = call(sim, "GET", f"/payments/{created['id']}").json()
    assert (paid["status"], paid["paid"], paid["income_amount"]["value"]) == (
        "succeeded",
        True,
        "482.50",
    )
    assert [n["event"] for n in sim.take_notifications()] == ["payment.succeeded"]
    refund = {"payment_id": created["id"], "amount": {"value": "200.00", "currency": "RUB"}}
    first = call(sim, "POST", "/refunds", refund, "r1")
    assert first.json()["status"] == "succeeded"
    too_much = {**refund, "amount": {"value": "300.01", "currency": "RUB"}}
    assert call(sim, "POST", "/refunds", too_much, "r2").status_code == 400
    assert call(sim, "GET", f"/refunds/{first.json()['id']}").json()["payment_id"] == created["id"]
    assert [n["event"] for n in sim.take_notifications()] == ["refund.succeeded"]


def test_two_stage_capture_and_cancel_only_from_waiting(sim: YooKassaSimulator) -> None:
    created = call(sim, "POST", "/payments", {**PAYMENT, "capture": False}, "k").json()
    assert call(sim, "POST", f"/payments/{created['id']}/capture", {}, "c0").status_code == 400
    sim.buyer_pays(created["id"])
    assert call(sim, "GET", f"/payments/{created['id']}").json()["status"] == (
        "waiting_for_capture"
    )
    captured = call(sim, "POST", f"/payments/{created['id']}/capture", {}, "c1")
    assert captured.json()["status"] == "succeeded"
    assert call(sim, "POST", f"/payments/{created['id']}/cancel", {}, "c2").status_code == 400
    events = [n["event"] for n in sim.take_notifications()]
    assert events == ["payment.waiting_for_capture", "payment.succeeded"]


def test_a_buyer_who_gives_up_cancels_it(sim: YooKassaSimulator) -> None:
    created = call(sim, "POST", "/payments", PAYMENT, "k").json()
    gone = sim.buyer_gives_up(created["id"])
    assert gone["status"] == "canceled"
    assert gone["cancellation_details"]["reason"] == "expired_on_confirmation"
    assert sim.buyer_pays(created["id"])["status"] == "canceled"


def test_faults_and_the_checkout_page(sim: YooKassaSimulator) -> None:
    sim.fail_next(500)
    assert call(sim, "GET", "/payments/x").json()["code"] == "internal_server_error"
    sim.fail_next(202)
    assert call(sim, "POST", "/payments", PAYMENT, "k").status_code == 202
    created = call(sim, "POST", "/payments", PAYMENT, "k").json()
    page = created["confirmation"]["confirmation_url"]
    assert "Pay" in requests.get(page, timeout=5).text
    requests.post(page, data={"act": "pay"}, timeout=5)
    assert call(sim, "GET", f"/payments/{created['id']}").json()["status"] == "succeeded"
