"""Top-ups on PostgreSQL with live processes: `hostprovider serve` with two gunicorn workers.
Eight posts of the sandbox's checkout page at once, or eight deliveries of YooKassa's notification
at once (its simulator, over HTTP), credit the payment once; a refund's notification debits once."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from simulators.yookassa import YooKassaSimulator

from .sandbox import Client
from .stack import Stack, running_stack
from .test_lifecycle import _customer

pytestmark = pytest.mark.e2e
RACERS = 8


@pytest.fixture(scope="module")
def gateway() -> Iterator[YooKassaSimulator]:
    with YooKassaSimulator("100500", "test_secret") as simulator:
        yield simulator


@pytest.fixture(scope="module")
def sandbox_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("checkout")) as live:
        live.start_api()
        yield live


@pytest.fixture(scope="module")
def yookassa_stack(
    tmp_path_factory: pytest.TempPathFactory, gateway: YooKassaSimulator
) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("yookassa")) as live:
        live.start_api(
            yookassa_shop_id="100500",
            yookassa_secret_key="test_secret",
            yookassa_url=gateway.url,
            yookassa_notify_from="127.0.0.1/32",
        )
        yield live


def people(stack: Stack) -> tuple[Client, Client]:
    assert stack.sandbox is not None
    anonymous = Client(stack.sandbox.base_url)
    admin = anonymous.login(stack.sandbox.admin_email, stack.sandbox.admin_password)
    customer, _ = _customer(anonymous, admin, Decimal(0))
    return customer, admin


def at_once(call: Callable[[], int]) -> list[int]:
    start = threading.Barrier(RACERS)
    answers: list[int] = []

    def racer() -> None:
        start.wait()
        answers.append(call())

    threads = [threading.Thread(target=racer) for _ in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def money_of(customer: Client) -> tuple[str, list[tuple[str, str]]]:
    balance = customer.get("/api/balance")["exact"]["amount"]
    txs = customer.get("/api/transactions")["data"]
    return balance, [(t["type"], t["amount"]["amount"]) for t in txs]


def test_the_checkout_page_posted_at_once_credits_once(sandbox_stack: Stack) -> None:
    customer, _ = people(sandbox_stack)
    payment: Any = customer.post("/api/payments", {"amount": "500.00"}, expect=201)
    page = customer.base_url + urlsplit(payment["confirmationUrl"]).path
    answers = at_once(lambda: requests.post(page, data={"decision": "pay"}, timeout=30).status_code)
    assert answers == [200] * RACERS
    assert money_of(customer) == ("500.000000", [("payment", "500.000000")])


def test_notifications_delivered_at_once_credit_once_and_a_refund_debits_once(
    yookassa_stack: Stack, gateway: YooKassaSimulator
) -> None:
    customer, admin = people(yookassa_stack)
    payment: Any = customer.post("/api/payments", {"amount": "500.00"}, expect=201)
    gateway.buyer_pays(next(reversed(gateway.shop.payments)))
    [note] = gateway.shop.notifications
    notify = customer.base_url + "/api/payments/yookassa/notify"
    assert gateway.deliver(notify) == [200]  # as YooKassa posts it
    answers = at_once(lambda: requests.post(notify, json=note, timeout=30).status_code)
    assert answers == [200] * RACERS
    forged = {**note, "object": {**note["object"], "id": "2419a771-000f-5000-9000-1edaf29243f2"}}
    assert requests.post(notify, json=forged, timeout=30).json() == {"status": "ignored"}
    assert money_of(customer) == ("500.000000", [("payment", "500.000000")])

    admin.post(
        f"/api/admin/payments/{payment['id']}/refund", {"amount": "150.00", "reason": "asked"}
    )
    [refunded] = gateway.take_notifications()
    at_once(lambda: requests.post(notify, json=refunded, timeout=30).status_code)
    balance, moves = money_of(customer)
    assert balance == "350.000000"
    assert moves == [("payment_refund", "-150.000000"), ("payment", "500.000000")]
