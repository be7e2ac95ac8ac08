"""A customer's whole story against a live `hostprovider serve`: from registering to a deleted
server, with the money checked to the micro-unit at every step that moves it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from .sandbox import Client, Sandbox

pytestmark = pytest.mark.e2e

# Long enough that an action is seen running before it finishes, short enough to stay quick.
SANDBOX_TASK_SECONDS = 1
# The whole story on the sandbox's own hypervisor, then on the Proxmox adapter and a PVE simulator.
SANDBOX_HYPERVISORS = ("sandbox", "proxmox")

CREDIT = Decimal("1000.00")
ORDER = {"osId": 1, "locationId": 1, "cores": 2, "memory": 2048, "disk": 40}


@pytest.fixture
def anonymous(sandbox: Sandbox) -> Iterator[Client]:
    client = Client(sandbox.base_url)
    yield client
    client.close()


@pytest.fixture
def admin(anonymous: Client, sandbox: Sandbox) -> Iterator[Client]:
    client = anonymous.login(sandbox.admin_email, sandbox.admin_password)
    yield client
    client.close()


def _customer(anonymous: Client, admin: Client, credit: Decimal) -> tuple[Client, int]:
    email, password = f"{uuid.uuid4().hex[:12]}@e2e.example", "correct horse battery staple"
    signed_up = anonymous.post(
        "/api/auth/register", {"email": email, "password": password}, expect=201
    )
    assert signed_up == {"email": email, "status": "registered"}
    customer = anonymous.login(email, password)
    account = customer.get("/api/auth/me")
    assert (account["email"], account["role"]) == (email, "customer")
    if credit:
        admin.post(
            f"/api/admin/customers/{account['id']}/credit",
            {"amount": str(credit), "reason": "e2e"},
            headers={"Idempotency-Key": f"e2e-{account['id']}"},
        )
    return customer, account["id"]


def amount(money: dict[str, str]) -> Decimal:
    assert money["currency"] == "RUB"
    return Decimal(money["amount"])


def exact_balance(client: Client) -> Decimal:
    return amount(client.get("/api/balance")["exact"])


def transactions(client: Client) -> list[dict[str, Any]]:
    page = client.get("/api/transactions", params={"per_page": 100})
    assert page["meta"]["pagination"]["total"] == len(page["data"]), (
        "more than one page in a short story"
    )
    return list(page["data"])


def run(client: Client, answer: dict[str, Any], verb: str) -> dict[str, Any]:
    """An accepted command's action, waited for; it must succeed."""
    assert answer["action"] == verb and isinstance(answer["taskId"], int)
    action = client.wait_for_action(answer["taskId"])
    assert action["status"] == "success", action
    assert action["progress"] == 100 and action["finishedAt"] is not None
    return action


def test_a_server_from_order_to_deletion(anonymous: Client, admin: Client) -> None:
    customer, customer_id = _customer(anonymous, admin, Decimal(0))
    assert exact_balance(customer) == 0

    # Admin credit: the Idempotency-Key makes a nervous retry post once.
    credit_path = f"/api/admin/customers/{customer_id}/credit"
    body = {"amount": "1000.00", "reason": "welcome bonus"}
    first = admin.request(
        "POST", credit_path, json=body, headers={"Idempotency-Key": "lifecycle-credit"}, expect=200
    )
    again = admin.request(
        "POST", credit_path, json=body, headers={"Idempotency-Key": "lifecycle-credit"}, expect=200
    )
    assert again.headers.get("Idempotent-Replayed") == "true" and again.json() == first.json()
    assert amount(first.json()["transaction"]["amount"]) == CREDIT
    admin.request(
        "POST",
        credit_path,
        json={**body, "amount": "1.00"},
        headers={"Idempotency-Key": "lifecycle-credit"},
        expect=409,
    )
    assert exact_balance(customer) == CREDIT

    # Quote, then order with the quote: the first charge is held, the root password shown once.
    quote = customer.post("/api/quote", ORDER)
    first_charge = amount(quote["firstCharge"])
    assert first_charge > 0 and amount(quote["hourly"]) > 0
    created = customer.post(
        "/api/server/create",
        {**ORDER, "quoteId": quote["quoteId"], "name": "web-1"},
        expect=201,
        headers={"Idempotency-Key": "lifecycle-order"},
    )
    server_id, root_password = created["id"], created["rootPassword"]
    assert created["status"] == "creating" and len(root_password) >= 12
    balance = customer.get("/api/balance")
    # Held until the guest runs (seconds away here), then captured: either way, out of the wallet.
    assert amount(balance["held"]) in (first_charge, 0)
    assert amount(balance["exact"]) == CREDIT - first_charge

    action = customer.wait_for_action(created["taskId"])
    assert action["status"] == "success" and action["command"] == "create_server", action
    server = customer.get(f"/api/server/{server_id}")
    assert server["status"] == "running" and server["ipAddress"] and server["proxmoxId"]
    assert "rootPassword" not in server
    assert all("rootPassword" not in s for s in customer.get("/api/server"))

    # The hold was captured: that is the first charge, and nothing else has moved.
    mine = [t for t in transactions(customer) if t["serverId"] == server_id]
    assert sorted(t["type"] for t in mine) == ["capture", "hold"]
    hold = next(t for t in mine if t["type"] == "hold")
    capture = next(t for t in mine if t["type"] == "capture")
    assert amount(hold["amount"]) == -first_charge and amount(hold["held"]) == first_charge
    assert amount(capture["amount"]) == 0 and amount(capture["held"]) == -first_charge
    balance = customer.get("/api/balance")
    assert amount(balance["held"]) == 0 and amount(balance["exact"]) == CREDIT - first_charge
    assert amount(balance["hourlyBurn"]) == amount(server["hourly"])

    # Power.
    run(customer, customer.post(f"/api/server/{server_id}/stop", expect=202), "stop")
    assert customer.get(f"/api/server/{server_id}")["status"] == "stopped"
    customer.post(f"/api/server/{server_id}/stop", expect=409)  # already stopped
    run(customer, customer.post(f"/api/server/{server_id}/start", expect=202), "start")
    assert customer.get(f"/api/server/{server_id}")["status"] == "running"
    run(customer, customer.post(f"/api/server/{server_id}/restart", expect=202), "restart")
    assert customer.get(f"/api/server/{server_id}")["status"] == "running"
    status = customer.get(f"/api/server/{server_id}/status")
    assert (
        status["stats"]["status"] == "success"
        and status["stats"]["data"]["vmid"] == server["proxmoxId"]
    )

    # Grow it: the new size shows, and so does its higher price.
    resized = customer.put(
        f"/api/server/{server_id}/resize", {"cores": 4, "memory": 4096, "disk": 60}, expect=202
    )
    run(customer, resized, "resize")
    grown = customer.get(f"/api/server/{server_id}")
    assert (grown["cores"], grown["memory"], grown["disk"]) == (4, 4096, 60)
    assert amount(grown["hourly"]) > amount(server["hourly"])

    # Snapshots: take one, see it, roll back to it.
    taken = customer.post(
        f"/api/server/{server_id}/snapshots",
        {"snapname": "before-upgrade", "description": "e2e"},
        expect=202,
    )
    assert taken["snapname"] == "before-upgrade"
    run(customer, taken, "snapshot")
    listed = customer.get(f"/api/server/{server_id}/snapshots")
    assert [s["name"] for s in listed["data"]] == ["before-upgrade"]
    rolled = customer.post(
        f"/api/server/{server_id}/snapshots/rollback", {"snapname": "before-upgrade"}, expect=202
    )
    run(customer, rolled, "rollback")
    assert customer.get(f"/api/server/{server_id}")["status"] == "running"

    # A new root password, shown once.
    reset = customer.post(f"/api/server/{server_id}/password", expect=202)
    assert reset["password"] and reset["password"] != root_password
    run(customer, reset, "password")

    console = customer.post("/api/server/console", {"vmid": server["proxmoxId"]})
    assert console["status"] == "success" and "/console/" in console["url"]

    history = customer.get(f"/api/server/{server_id}/actions", params={"perPage": 100})["data"]
    assert [a["command"] for a in history][-1] == "create_server"
    assert all(a["status"] == "success" for a in history)

    # Delete: usage is billed up to now, then the server is gone.
    deleting = customer.delete(f"/api/server/{server_id}", expect=202)
    assert deleting["status"] == "deleting"
    run(customer, deleting, "delete")
    assert customer.get("/api/server") == []
    customer.get(f"/api/server/{server_id}", expect=404)

    mine = [t for t in transactions(customer) if t["serverId"] == server_id]
    # The first charge paid for a whole billing period in advance (an hour by default) at the old
    # size; growing the server inside it held the difference for the rest of that hour when asked,
    # and took it (releasing what the seconds the guest took to grow left over) when done. A server
    # deleted inside the period owes nothing more. The sums below cover it all.
    assert [t for t in mine if t["type"] == "usage"] == []
    grown_moves = [t for t in mine if t["id"].startswith("resize:")]
    assert {t["type"] for t in grown_moves} <= {"hold", "capture", "release"}
    assert "capture" in {t["type"] for t in grown_moves}
    final_charge = -sum((amount(t["amount"]) for t in grown_moves), Decimal(0))
    assert final_charge > 0
    balance = customer.get("/api/balance")
    assert amount(balance["held"]) == 0 and amount(balance["hourlyBurn"]) == 0
    assert amount(balance["exact"]) == CREDIT - first_charge - final_charge
    assert amount(balance["exact"]) == sum(
        (amount(t["amount"]) for t in transactions(customer)), Decimal(0)
    )
    assert balance["standing"] == "active"
    customer.close()


def test_the_oxnack_aliases_answer_like_the_api(anonymous: Client, admin: Client) -> None:
    customer, _ = _customer(anonymous, admin, CREDIT)
    assert customer.get("/get_balance") == customer.get("/api/balance")
    assert anonymous.get("/countries") == anonymous.get("/api/locations")
    assert anonymous.get("/osystems") == anonymous.get("/api/os")
    assert anonymous.get("/parametrs") == anonymous.get("/api/parameters")

    order = {"osId": 2, "locationId": 2, "tariffId": 1}
    by_alias, by_api = customer.post("/calc_price", order), customer.post("/api/quote", order)
    for field in (
        "hourly",
        "monthly",
        "firstCharge",
        "discount",
        "tariffId",
        "cores",
        "memory",
        "disk",
    ):
        assert by_alias[field] == by_api[field], field

    created = customer.post(
        "/create_machine",
        {**order, "quoteId": by_alias["quoteId"]},
        expect=201,
        headers={"Idempotency-Key": "alias-order"},
    )
    assert created["rootPassword"] and created["tariffId"] == 1
    assert customer.wait_for_action(created["taskId"])["status"] == "success"
    assert [s["id"] for s in customer.get("/api/server")] == [created["id"]]
    balance = customer.get("/get_balance")
    assert amount(balance["exact"]) == CREDIT - amount(by_alias["firstCharge"])

    run(customer, customer.delete(f"/api/server/{created['id']}", expect=202), "delete")
    assert customer.get("/api/server") == []
    customer.close()
