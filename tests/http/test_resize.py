"""PUT /api/server/{id}/resize: cores, memory or disk; disks only grow."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from api_support import Api, User, assert_error


def test_resizing_a_server(api: Api, customer: User) -> None:
    server = api.running_server(customer)

    result = api.put(
        f"/api/server/{server['id']}/resize",
        user=customer,
        json={"cores": 2, "memory": 2048, "disk": 40},
    )

    assert result.status_code == 202
    body = result.json
    assert body["action"] == "resize" and isinstance(body["taskId"], int)
    assert body["data"] == {"cores": 2, "disk": 40, "memory": 2048}
    after = api.server(customer, server["id"])
    assert (after["cores"], after["memory"], after["disk"]) == (2, 2048, 40)
    # Tariff 2's size, but a resized server is priced as custom: 2 x 0.50 + 2 x 0.25 + 40 x 0.01.
    assert after["hourly"]["amount"] == "1.900000"
    guest = api.hypervisor.guest(server["proxmoxId"])
    assert guest is not None and (guest.cores, guest.memory_mib, guest.disk_gib) == (2, 2048, 40)


def test_resizing_one_field_keeps_the_others(api: Api, customer: User) -> None:
    server = api.running_server(customer)

    assert (
        api.put(f"/api/server/{server['id']}/resize", user=customer, json={"disk": 50}).status_code
        == 202
    )

    after = api.server(customer, server["id"])
    assert (after["cores"], after["memory"], after["disk"]) == (1, 1024, 50)


def test_a_stopped_server_can_be_resized(api: Api, customer: User) -> None:
    server = api.running_server(customer)
    api.post(f"/api/server/{server['id']}/stop", user=customer)

    assert (
        api.put(f"/api/server/{server['id']}/resize", user=customer, json={"cores": 4}).status_code
        == 202
    )
    assert api.server(customer, server["id"])["cores"] == 4


# 400: the body is not what the document describes; 422: it is, and a rule of the catalogue or of
# the server's present size refuses it.
@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({}, 400, None),
        ({"disk": 10}, 422, "disk"),  # disks only grow
        ({"disk": -20}, 400, "disk"),
        ({"cores": 1}, 422, "cores"),  # the size it has
        ({"cores": 33}, 422, "cores"),  # past the catalogue's limit
        ({"cores": 0}, 400, "cores"),
        ({"cores": 10**30}, 400, "cores"),
        ({"cores": 2.5}, 400, "cores"),
        ({"cores": "2"}, 400, "cores"),
        ({"cores": True}, 400, "cores"),
        ({"memory": 1000}, 422, "memory"),  # not a step of the catalogue
        ({"cores": 2, "name": "x"}, 400, "name"),
    ],
)
def test_a_bad_size_is_refused_and_changes_nothing(
    api: Api, customer: User, body: dict[str, Any], status: int, field: str | None
) -> None:
    server = api.running_server(customer)
    before = api.state()

    assert_error(
        api.put(f"/api/server/{server['id']}/resize", user=customer, json=body),
        status,
        "invalid" if status == 400 else "rule_violation",
        field,
    )
    assert api.state() == before


def test_growing_a_server_of_a_restricted_account_is_403(
    api: Api, admin: User, customer: User
) -> None:
    server = api.running_server(customer)
    api.post(
        f"/api/admin/customers/{customer.id}/debit",
        user=admin,
        json={"amount": "2000.00", "reason": "chargeback"},
        headers={"Idempotency-Key": "cb"},
    )
    before = api.state()

    result = api.put(f"/api/server/{server['id']}/resize", user=customer, json={"cores": 2})

    assert_error(result, 403, "account_restricted")
    assert api.state() == before


def test_resizing_a_busy_server_is_409(api: Api, customer: User) -> None:
    server = api.running_server(customer)
    api.jobs.auto_run = False
    api.post(f"/api/server/{server['id']}/restart", user=customer)
    before = api.state()

    assert_error(
        api.put(f"/api/server/{server['id']}/resize", user=customer, json={"cores": 2}),
        409,
        "locked",
    )
    assert api.state() == before


def test_a_resize_still_running_leaves_the_old_size_until_it_ends(api: Api, customer: User) -> None:
    server = api.running_server(customer)
    api.jobs.auto_run = False

    result = api.put(f"/api/server/{server['id']}/resize", user=customer, json={"cores": 2})

    assert result.status_code == 202 and result.json["status"] == "running"
    assert api.server(customer, server["id"])["cores"] == 1
    api.jobs.run_pending()
    assert api.server(customer, server["id"])["cores"] == 2
    assert (
        api.get(f"/api/actions/{result.json['taskId']}", user=customer).json["status"] == "success"
    )


def test_resizing_needs_a_login_and_a_known_server(api: Api, customer: User) -> None:
    server = api.running_server(customer)

    assert_error(
        api.put(f"/api/server/{server['id']}/resize", json={"cores": 2}), 401, "unauthenticated"
    )
    assert_error(
        api.put("/api/server/999/resize", user=customer, json={"cores": 2}), 404, "not_found"
    )
    assert api.server(customer, server["id"])["cores"] == 1


def test_a_resize_the_balance_does_not_cover_is_402(api: Api) -> None:
    # Regression: a customer with next to nothing grew a server to the largest size (202), and the
    # wallet went below zero when the guest had grown. The difference for the rest of the prepaid
    # hour is now held up front, like an order's first hour.
    customer = api.customer(balance="1.05")  # tariff 1's first hour (0.95), and 0.10
    server = api.running_server(customer)
    api.clock.set(api.clock.now() + dt.timedelta(minutes=30))
    before = api.state()

    result = api.put(
        f"/api/server/{server['id']}/resize",
        user=customer,
        json={"cores": 32, "memory": 131072, "disk": 2000},
    )

    assert_error(result, 402, "insufficient_funds")
    details = result.json["details"]
    assert details["available"] == "0.10" and Decimal(details["required"]) > Decimal("0.10")
    assert api.state() == before
    assert api.balance(customer) == "0.100000"


def test_the_api_document_lists_the_402_of_a_resize(api: Api) -> None:
    document = api.get("/api/openapi.json").json
    assert "402" in document["paths"]["/api/server/{server_id}/resize"]["put"]["responses"]
