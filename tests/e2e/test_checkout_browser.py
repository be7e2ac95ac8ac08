"""A top-up in the sandbox, in a real browser (Debian's chromium through playwright-core): the
customer opens the payment's checkout page and clicks Pay; the balance shows the amount once,
however many times the page is posted. Cancel leaves the balance as it was."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from tests.browser import run_scenario

from .sandbox import Sandbox

pytestmark = pytest.mark.e2e
SCENARIO = Path(__file__).with_name("checkout.mjs")


def customer(sandbox: Sandbox, email: str) -> dict[str, str]:
    password = "correct horse battery"
    api = sandbox.base_url
    requests.post(
        f"{api}/api/auth/register", json={"email": email, "password": password}, timeout=10
    )
    login = requests.post(
        f"{api}/api/auth/login", json={"email": email, "password": password}, timeout=10
    )
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


def top_up(sandbox: Sandbox, auth: dict[str, str], amount: str) -> dict[str, Any]:
    made = requests.post(
        f"{sandbox.base_url}/api/payments", json={"amount": amount}, headers=auth, timeout=10
    )
    assert made.status_code == 201, made.text
    return made.json()  # type: ignore[no-any-return]


def balance(sandbox: Sandbox, auth: dict[str, str]) -> str:
    found = requests.get(f"{sandbox.base_url}/api/balance", headers=auth, timeout=10).json()
    return str(found["balance"]["amount"])


def page_url(sandbox: Sandbox, payment: dict[str, Any]) -> str:
    # The page is ours: the sandbox here listens on a free port, not HOSTPROVIDER_PUBLIC_URL's.
    return sandbox.base_url + urlsplit(payment["confirmationUrl"]).path


def test_pay_in_the_browser_credits_once(sandbox: Sandbox) -> None:
    auth = customer(sandbox, "payer@example.com")
    payment = top_up(sandbox, auth, "500.00")
    url = page_url(sandbox, payment)

    shown = run_scenario(SCENARIO, url=url, button="pay", again=True)

    assert shown == {
        "amount": "500.00 RUB",
        "status": "succeeded",
        "again": "succeeded",
        "buttons": 0,
    }
    for _ in range(2):  # the form posted again, outside the browser
        requests.post(url, data={"decision": "pay"}, timeout=10)
    assert balance(sandbox, auth) == "500.00"
    txs = requests.get(f"{sandbox.base_url}/api/transactions", headers=auth, timeout=10).json()
    assert [(t["type"], t["amount"]["amount"]) for t in txs["data"]] == [("payment", "500.000000")]


def test_cancel_in_the_browser_leaves_the_balance(sandbox: Sandbox) -> None:
    auth = customer(sandbox, "doubter@example.com")
    payment = top_up(sandbox, auth, "300.00")

    shown = run_scenario(SCENARIO, url=page_url(sandbox, payment), button="cancel", again=False)

    assert shown["status"] == "canceled"
    assert balance(sandbox, auth) == "0.00"
    after = requests.get(
        f"{sandbox.base_url}/api/payments/{payment['id']}", headers=auth, timeout=10
    ).json()
    assert after["status"] == "canceled"
