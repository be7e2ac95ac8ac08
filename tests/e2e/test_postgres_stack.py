"""The product on PostgreSQL as ops runs it: `hostprovider serve` (gunicorn, two workers) and
`hostprovider scheduler` as real processes on a database of their own.

A customer's server goes through its life, both processes restart, and every record is found as it
was; the same Idempotency-Key sent ten times at once makes one server; a scheduler killed with
SIGKILL in the middle of a provisioning leaves the job to another, with no double charge."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from .sandbox import Client
from .stack import Stack, running_stack
from .test_lifecycle import ORDER, amount, exact_balance, transactions

pytestmark = pytest.mark.e2e

CREDIT = Decimal("1000.00")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("stack"), sandbox_task_seconds="1") as live:
        live.start_api()
        live.start_scheduler()
        yield live


def customer_with_credit(stack: Stack, credit: Decimal = CREDIT) -> tuple[Client, int]:
    assert stack.sandbox is not None
    anonymous = Client(stack.sandbox.base_url)
    email, password = f"{uuid.uuid4().hex[:12]}@e2e.example", "correct horse battery staple"
    account = anonymous.post(
        "/api/auth/register", {"email": email, "password": password}, expect=201
    )
    admin = anonymous.login(stack.sandbox.admin_email, stack.sandbox.admin_password)
    admin.post(
        f"/api/admin/customers/{account['id']}/credit",
        {"amount": str(credit), "reason": "e2e"},
        headers={"Idempotency-Key": f"credit-{account['id']}"},
    )
    customer = anonymous.login(email, password)
    admin.close()
    anonymous.close()
    return customer, account["id"]


def order(customer: Client, key: str, name: str = "pg-1") -> dict[str, Any]:
    quote = customer.post("/api/quote", ORDER)
    created: dict[str, Any] = customer.post(
        "/api/server/create",
        {**ORDER, "quoteId": quote["quoteId"], "name": name},
        expect=201,
        headers={"Idempotency-Key": key},
    )
    return created


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


def test_a_scheduler_killed_mid_provisioning_leaves_the_job_to_another(tmp_path: Path) -> None:
    with running_stack(tmp_path, stalled_job_seconds="3") as stack:
        stack.start_api()
        stack.start_scheduler("doomed", sandbox_task_seconds="6")
        customer, _ = customer_with_credit(stack)
        created = order(customer, "crash-order")
        wait_until(lambda: job_status(stack, "provision_server") == "doing", "provisioning")
        time.sleep(1)  # well inside the saga: its guest task takes 6 s
        stack.kill_scheduler("doomed")
        assert customer.get(f"/api/server/{created['id']}")["status"] == "creating"

        stack.start_scheduler("rescuer", sandbox_task_seconds="0")
        action = customer.wait_for_action(created["taskId"], timeout=60)
        assert action["status"] == "success", (action, stack.scheduler_log("rescuer")[-2000:])
        assert "retrying stalled job" in stack.scheduler_log("rescuer")

        server = customer.get(f"/api/server/{created['id']}")
        assert server["status"] == "running"
        assert [s["id"] for s in customer.get("/api/server")] == [created["id"]]
        mine = [t for t in transactions(customer) if t["serverId"] == created["id"]]
        assert sorted(t["type"] for t in mine) == ["capture", "hold"], mine
        quote_first_charge = -amount(next(t for t in mine if t["type"] == "hold")["amount"])
        assert exact_balance(customer) == CREDIT - quote_first_charge
        customer.close()
