"""The product on PostgreSQL as ops runs it: `hostprovider serve` (gunicorn, two workers) and
`hostprovider scheduler` as real processes on a database of their own.

A customer's server goes through its life, both processes restart, and every record is found as it
was; the same Idempotency-Key sent ten times at once makes one server. A scheduler killed with
SIGKILL at each step of a provisioning: test_scheduler_kills.py."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from simulators.proxmox import ProxmoxSimulator

from .infrastructure import proxmox_settings, simulated_proxmox
from .sandbox import Client
from .stack import Stack, running_stack
from .test_lifecycle import ORDER, _customer, amount, exact_balance, run, transactions

pytestmark = pytest.mark.e2e

CREDIT = Decimal("1000.00")


@pytest.fixture(scope="module")
def proxmox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ProxmoxSimulator, Path]]:
    with simulated_proxmox(task_seconds=0.3) as simulator:
        yield simulator, tmp_path_factory.mktemp("site")


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory, proxmox: tuple[ProxmoxSimulator, Path]
) -> Iterator[Stack]:
    settings = proxmox_settings(*proxmox)
    with running_stack(tmp_path_factory.mktemp("stack"), **settings) as live:
        live.start_api()
        live.start_scheduler()
        yield live


def guests_of(simulator: ProxmoxSimulator, server_id: int) -> list[dict[str, Any]]:
    return [g for g in simulator.guests() if f"server-{server_id}" in str(g.get("tags", ""))]


def customer_with_credit(stack: Stack, credit: Decimal = CREDIT) -> tuple[Client, int]:
    """A new customer, logged in, with `credit` on the balance (the lifecycle test's helper)."""
    assert stack.sandbox is not None
    anonymous = Client(stack.sandbox.base_url)
    admin = anonymous.login(stack.sandbox.admin_email, stack.sandbox.admin_password)
    try:
        return _customer(anonymous, admin, credit)
    finally:
        admin.close()
        anonymous.close()


# A QEMU image: its password reset goes through the guest agent, which needs no SSH to the node.
VM_ORDER = {**ORDER, "osId": 4}


def order(
    customer: Client, key: str, name: str = "pg-1", config: dict[str, int] = VM_ORDER
) -> dict[str, Any]:
    quote = customer.post("/api/quote", config)
    created: dict[str, Any] = customer.post(
        "/api/server/create",
        {**config, "quoteId": quote["quoteId"], "name": name},
        expect=201,
        headers={"Idempotency-Key": key},
    )
    return created


def records(customer: Client, server_id: int) -> dict[str, Any]:
    """Everything the customer can read about their money and their server."""
    server = customer.get(f"/api/server/{server_id}")
    server.pop("uptime", None)  # a live measurement, not a record
    return {
        "server": server,
        "servers": [s["id"] for s in customer.get("/api/server")],
        "balance": customer.get("/api/balance")["exact"],
        "transactions": transactions(customer),
        "actions": customer.get(f"/api/server/{server_id}/actions")["data"],
        "snapshots": customer.get(f"/api/server/{server_id}/snapshots")["data"],
        "me": customer.get("/api/auth/me"),
    }


def restart(stack: Stack) -> None:
    stack.stop_api()
    assert stack.stop_scheduler() == 0
    stack.start_scheduler()
    stack.start_api()


def test_a_lifecycle_on_postgres_survives_a_restart_of_every_process(
    stack: Stack, proxmox: tuple[ProxmoxSimulator, Path]
) -> None:
    simulator = proxmox[0]
    customer, _ = customer_with_credit(stack)
    created = order(customer, "pg-lifecycle")
    server_id = created["id"]
    action = customer.wait_for_action(created["taskId"])
    assert action["status"] == "success", action
    run(customer, customer.post(f"/api/server/{server_id}/stop", expect=202), "stop")
    run(customer, customer.post(f"/api/server/{server_id}/start", expect=202), "start")
    grown = customer.put(
        f"/api/server/{server_id}/resize", {"cores": 4, "memory": 4096, "disk": 60}, expect=202
    )
    run(customer, grown, "resize")
    snap = {"snapname": "before-restart", "description": "e2e"}
    run(customer, customer.post(f"/api/server/{server_id}/snapshots", snap, expect=202), "snapshot")
    before = records(customer, server_id)
    assert before["server"]["status"] == "running" and before["server"]["cores"] == 4
    assert [s["name"] for s in before["snapshots"]] == ["before-restart"]
    assert amount(before["balance"]) == sum(
        (amount(t["amount"]) for t in before["transactions"]), Decimal(0)
    )

    [guest] = guests_of(simulator, server_id)
    assert (guest["vmid"], guest["status"], guest["cores"]) == (
        before["server"]["proxmoxId"],
        "running",
        4,
    )

    restart(stack)

    # The same bearer token still works: sessions live in the database, not in a process.
    assert stack.sandbox is not None
    customer.base_url = stack.sandbox.base_url
    assert records(customer, server_id) == before

    # The restarted processes carry on with the same guest ...
    run(customer, customer.post(f"/api/server/{server_id}/restart", expect=202), "restart")
    rolled = customer.post(
        f"/api/server/{server_id}/snapshots/rollback", {"snapname": "before-restart"}, expect=202
    )
    run(customer, rolled, "rollback")
    reset = customer.post(f"/api/server/{server_id}/password", expect=202)
    run(customer, reset, "password")
    assert simulator.guest(guest["vmid"])["passwords"]  # set through the guest agent
    status = customer.get(f"/api/server/{server_id}/status")
    assert status["stats"]["data"]["vmid"] == guest["vmid"]  # the API reads the same cluster

    # ... and with new ones: another server, ordered and deleted end to end.
    second = order(customer, "pg-after-restart", name="pg-2")
    assert customer.wait_for_action(second["taskId"])["status"] == "success"
    run(customer, customer.delete(f"/api/server/{second['id']}", expect=202), "delete")
    assert [s["id"] for s in customer.get("/api/server")] == [server_id]
    assert guests_of(simulator, second["id"]) == []
    run(customer, customer.delete(f"/api/server/{server_id}", expect=202), "delete")
    assert guests_of(simulator, server_id) == [] and customer.get("/api/server") == []
    assert exact_balance(customer) == sum(
        (amount(t["amount"]) for t in transactions(customer)), Decimal(0)
    )
    customer.close()


def test_one_idempotency_key_sent_ten_times_at_once_makes_one_server(stack: Stack) -> None:
    customer, _ = customer_with_credit(stack)
    quote = customer.post("/api/quote", ORDER)
    body = {**ORDER, "quoteId": quote["quoteId"], "name": "once"}
    start = threading.Barrier(10)
    answers: list[int] = []

    def send() -> None:
        client = Client(customer.base_url)
        client.session.headers.update(customer.session.headers)
        start.wait()
        response = client.request(
            "POST", "/api/server/create", json=body, headers={"Idempotency-Key": "ten-at-once"}
        )
        answers.append(response.status_code)
        client.close()

    threads = [threading.Thread(target=send) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(answers) == 10
    # One ran; the others were either refused while it ran (409) or got its replay (201).
    assert answers.count(201) >= 1 and set(answers) <= {201, 409}, answers
    servers = customer.get("/api/server")
    assert len(servers) == 1
    holds = [t for t in transactions(customer) if t["type"] == "hold"]
    assert len(holds) == 1
    replay = customer.request(
        "POST", "/api/server/create", json=body, headers={"Idempotency-Key": "ten-at-once"}
    )
    assert replay.status_code == 201 and replay.json()["id"] == servers[0]["id"]
    customer.close()


def job_status(stack: Stack, task: str) -> str | None:
    rows = stack.query(
        "SELECT status::text FROM procrastinate_jobs WHERE task_name = %s ORDER BY id DESC", task
    )
    return str(rows[0][0]) if rows else None


def wait_until(condition: Any, what: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"no {what} within {seconds} s"
        time.sleep(0.2)
