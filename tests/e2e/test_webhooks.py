"""Webhooks against a live `hostprovider serve`: a receiver on loopback (which the sandbox allows)
gets a server's creation, signed with the secret the registration showed, from the sandbox's own
scheduler, as a customer's endpoint would."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from domain.model.webhooks import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, verify
from tests.adapters.webhooks.receiver import running_receiver

from .sandbox import Client, Sandbox

pytestmark = pytest.mark.e2e

ORDER = {"osId": 1, "locationId": 1, "cores": 1, "memory": 1024, "disk": 20}


def test_a_server_created_reaches_a_loopback_receiver_signed(sandbox: Sandbox) -> None:
    anonymous = Client(sandbox.base_url)
    admin = anonymous.login(sandbox.admin_email, sandbox.admin_password)
    email, password = f"{uuid.uuid4().hex[:12]}@e2e.example", "correct horse battery staple"
    anonymous.post("/api/auth/register", {"email": email, "password": password}, expect=201)
    customer = anonymous.login(email, password)
    me = customer.get("/api/auth/me")
    admin.post(
        f"/api/admin/customers/{me['id']}/credit",
        {"amount": "100.00", "reason": "e2e"},
        headers={"Idempotency-Key": f"hooks-{me['id']}"},
    )

    with running_receiver() as receiver:
        webhook = customer.post(
            "/api/webhooks",
            {"url": f"http://127.0.0.1:{receiver.port}/oxnack", "events": ["server.created"]},
            expect=201,
        )
        order = customer.post("/api/server/create", ORDER, expect=201)
        deadline = time.monotonic() + 60
        while not receiver.received and time.monotonic() < deadline:
            time.sleep(0.5)

    [got] = receiver.received
    body = json.loads(got.body)
    assert body["event"] == "server.created" and body["data"]["serverId"] == order["id"]
    assert got.headers[EVENT_HEADER] == "server.created"
    assert got.headers[DELIVERY_HEADER] == str(body["id"])
    assert verify(webhook["secret"], got.headers[SIGNATURE_HEADER], got.body, int(time.time()))
    deliveries = customer.get(f"/api/webhooks/{webhook['id']}/deliveries")["data"]
    assert [(d["status"], d["lastStatusCode"]) for d in deliveries] == [("delivered", 200)]
