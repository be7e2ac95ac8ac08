"""Servers on the seed routes: list, create (and /create_machine), one server, status, delete."""

from __future__ import annotations

from typing import Any

import pytest
from api_support import (
    FIRST_CHARGE,
    SERVER_FIELDS,
    Api,
    User,
    assert_error,
    assert_server_view,
    is_money,
)

# --- list -----------------------------------------------------------------------------------------


def test_a_new_customer_has_no_servers(api: Api, customer: User) -> None:
    result = api.get("/api/server", user=customer)

    assert result.status_code == 200 and result.json == []


def test_the_list_shows_the_callers_servers_in_the_seed_shape(
    api: Api, customer: User, stranger: User
) -> None:
    mine = api.running_server(customer)
    api.running_server(stranger)

    result = api.get("/api/server", user=customer)

    assert result.status_code == 200
    assert [s["id"] for s in result.json] == [mine["id"]]
    server = result.json[0]
    assert_server_view(server)
    assert server["userId"] == customer.id
    assert (server["tariffId"], server["osId"], server["status"]) == (1, 1, "running")
    assert server["os"] == {"id": 1, "name": "Ubuntu 24.04", "type": "linux"}
    assert server["tariff"] == {
        "id": 1,
        "name": "Старт",
        "price": {"amount": "300.00", "exact": "300.000000", "currency": "RUB"},
    }
    assert isinstance(server["proxmoxId"], int) and server["ipAddress"].startswith("10.11.0.")
    assert "rootPassword" not in result.text


def test_listing_needs_a_login(api: Api) -> None:
    assert_error(api.get("/api/server"), 401, "unauthenticated")


# --- create ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/server/create", "/create_machine"])
def test_ordering_a_tariff(api: Api, customer: User, path: str) -> None:
    result = api.post(path, user=customer, json={"osId": 1, "tariffId": 1})

    assert result.status_code == 201
    body = result.json
    assert SERVER_FIELDS | {"rootPassword", "taskId"} <= set(body)
    assert body["status"] == "creating"
    assert body["userId"] == customer.id and body["tariffId"] == 1 and body["osId"] == 1
    assert isinstance(body["rootPassword"], str) and len(body["rootPassword"]) >= 12
    assert is_money(body["hourly"]) and body["hourly"]["amount"] == "0.950000"
    # The job ran after the commit: the guest exists, runs, and has the password that was shown.
    server = api.server(customer, body["id"])
    assert_server_view(server)
    assert server["status"] == "running"
    assert api.hypervisor.password_of(server["proxmoxId"]) == body["rootPassword"]
    assert body["rootPassword"] not in api.get("/api/server", user=customer).text
    assert api.balance(customer) == "999.050000"
    action = api.get(f"/api/actions/{body['taskId']}", user=customer).json
    assert (action["command"], action["status"]) == ("create_server", "success")


def test_ordering_a_custom_size_with_a_name(api: Api, customer: User) -> None:
    result = api.post(
        "/api/server/create",
        user=customer,
        json={"osId": 2, "locationId": 2, "cores": 2, "memory": 2048, "disk": 30, "name": "web-1"},
    )

    assert result.status_code == 201
    body = result.json
    assert (body["name"], body["tariffId"], body["tariff"], body["locationId"]) == (
        "web-1",
        None,
        None,
        2,
    )
    assert (body["cores"], body["memory"], body["disk"]) == (2, 2048, 30)
    assert api.server(customer, body["id"])["ipAddress"].startswith("10.12.0.")


def test_ordering_against_a_quote(api: Api, customer: User) -> None:
    quote = api.post("/api/quote", user=customer, json={"osId": 1, "tariffId": 2}).json

    result = api.post(
        "/api/server/create",
        user=customer,
        json={"osId": 1, "tariffId": 2, "quoteId": quote["quoteId"]},
    )

    assert result.status_code == 201
    assert result.json["hourly"] == quote["hourly"]


def test_an_anonymous_quote_binds_an_order_too(api: Api, customer: User) -> None:
    quote = api.post("/calc_price", json={"osId": 1, "tariffId": 1}).json

    result = api.post(
        "/create_machine",
        user=customer,
        json={"osId": 1, "tariffId": 1, "quoteId": quote["quoteId"]},
    )

    assert result.status_code == 201


def _quote_rejected(api: Api, customer: User, body: dict[str, Any]) -> None:
    before = api.state()
    assert_error(api.post("/api/server/create", user=customer, json=body), 409, "quote_rejected")
    assert api.state() == before


def test_a_tampered_quote_is_409(api: Api, customer: User) -> None:
    quote_id = api.post("/api/quote", user=customer, json={"osId": 1, "tariffId": 1}).json[
        "quoteId"
    ]
    forged = quote_id[:-4] + ("0000" if not quote_id.endswith("0000") else "1111")

    _quote_rejected(api, customer, {"osId": 1, "tariffId": 1, "quoteId": forged})


def test_a_quote_for_another_order_is_409(api: Api, customer: User) -> None:
    quote_id = api.post("/api/quote", user=customer, json={"osId": 1, "tariffId": 1}).json[
        "quoteId"
    ]

    _quote_rejected(api, customer, {"osId": 1, "tariffId": 3, "quoteId": quote_id})


def test_an_expired_quote_is_409(api: Api, customer: User) -> None:
    quote_id = api.post("/api/quote", user=customer, json={"osId": 1, "tariffId": 1}).json[
        "quoteId"
    ]
    api.clock.advance(15 * 60 + 1)

    _quote_rejected(api, customer, {"osId": 1, "tariffId": 1, "quoteId": quote_id})


def test_another_customers_quote_does_not_bind(api: Api, customer: User, stranger: User) -> None:
    quote_id = api.post("/api/quote", user=stranger, json={"osId": 1, "tariffId": 1}).json[
        "quoteId"
    ]

    _quote_rejected(api, customer, {"osId": 1, "tariffId": 1, "quoteId": quote_id})


def test_ordering_with_a_percent_code(api: Api, admin: User, customer: User) -> None:
    api.post(
        "/api/admin/promocodes", user=admin, json={"code": "HALF", "kind": "percent", "percent": 50}
    )

    result = api.post(
        "/api/server/create", user=customer, json={"osId": 1, "tariffId": 1, "promoCode": "HALF"}
    )

    assert result.status_code == 201
    assert api.balance(customer) == "999.525000"
    assert api.get("/api/admin/promocodes", user=admin).json["data"][0]["uses"] == 1


def test_a_code_that_does_not_apply_is_422_and_orders_nothing(
    api: Api, admin: User, customer: User
) -> None:
    api.post(
        "/api/admin/promocodes",
        user=admin,
        json={"code": "AMS", "kind": "percent", "percent": 10, "locationIds": [3]},
    )
    before = api.state()

    result = api.post(
        "/api/server/create", user=customer, json={"osId": 1, "tariffId": 1, "promoCode": "AMS"}
    )

    assert assert_error(result, 422, "promo_code_rejected")["details"] == {
        "reason": "wrong_location"
    }
    assert api.state() == before


def test_ordering_without_enough_money_is_402_and_changes_nothing(api: Api) -> None:
    poor = api.customer(balance="0.50")
    before = api.state()

    result = api.post("/api/server/create", user=poor, json={"osId": 1, "tariffId": 1})

    body = assert_error(result, 402, "insufficient_funds")
    assert body["details"] == {"required": FIRST_CHARGE, "available": "0.50", "currency": "RUB"}
    assert api.state() == before
    assert api.get("/api/server", user=poor).json == []


def test_a_restricted_account_may_not_order(api: Api, admin: User, customer: User) -> None:
    debit = api.post(
        f"/api/admin/customers/{customer.id}/debit",
        user=admin,
        json={"amount": "1500.00", "reason": "unpaid invoice"},
        headers={"Idempotency-Key": "d1"},
    )
    assert debit.status_code == 200
    before = api.state()

    result = api.post("/api/server/create", user=customer, json={"osId": 1, "tariffId": 1})

    assert assert_error(result, 403, "account_restricted")["details"]["standing"] != "active"
    assert api.state() == before


def test_an_account_holds_a_bounded_number_of_servers(api: Api, customer: User) -> None:
    limit = api.rt.policy.max_servers_per_customer
    for _ in range(limit):
        api.order(customer)
    before = api.state()

    assert_error(
        api.post("/api/server/create", user=customer, json={"osId": 1, "tariffId": 1}),
        403,
        "account_restricted",
    )
    assert api.state() == before
    assert len(api.get("/api/server", user=customer).json) == limit


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"osId": 99, "tariffId": 1}, 404, "not_found", None),
        ({"osId": 1, "tariffId": 99}, 404, "not_found", None),
        ({"osId": 1, "tariffId": 1, "promoCode": "NOSUCH"}, 404, "not_found", None),
        ({"tariffId": 1}, 400, "invalid", "osId"),
        ({"osId": 1}, 400, "invalid", "locationId"),
        ({"osId": 1, "tariffId": 1, "name": "Not A Hostname"}, 400, "invalid", "name"),
        ({"osId": 1, "tariffId": 1, "name": "web\u200f1"}, 400, "invalid", "name"),
        ({"osId": 1, "tariffId": 1, "name": ""}, 400, "invalid", "name"),
        ({"osId": 1, "tariffId": 1, "cores": 2}, 400, "invalid", "tariffId"),
        (
            {"osId": 1, "locationId": 1, "cores": 0, "memory": 1024, "disk": 20},
            400,
            "invalid",
            "cores",
        ),
        (
            {"osId": 1, "locationId": 1, "cores": 1, "memory": 1024, "disk": -1},
            400,
            "invalid",
            "disk",
        ),
        (
            {"osId": 1, "locationId": 1, "cores": 1, "memory": 1024, "disk": 10**30},
            400,
            "invalid",
            "disk",
        ),
        ({"osId": 1, "tariffId": 1, "rootPassword": "mine"}, 400, "invalid", "rootPassword"),
    ],
)
def test_ordering_refuses_bad_orders(
    api: Api, customer: User, body: dict[str, Any], status: int, code: str, field: str | None
) -> None:
    before = api.state()

    assert_error(api.post("/api/server/create", user=customer, json=body), status, code, field)
    assert api.state() == before


def test_ordering_needs_a_login(api: Api) -> None:
    before = api.state()

    assert_error(
        api.post("/api/server/create", json={"osId": 1, "tariffId": 1}), 401, "unauthenticated"
    )
    assert_error(
        api.post("/create_machine", json={"osId": 1, "tariffId": 1}), 401, "unauthenticated"
    )
    assert api.state() == before


def test_a_server_is_creating_until_its_job_has_run(api: Api, customer: User) -> None:
    api.jobs.auto_run = False
    created = api.order(customer)

    pending = api.server(customer, created["id"])
    assert (pending["status"], pending["proxmoxId"], pending["ipAddress"]) == (
        "creating",
        None,
        None,
    )
    assert api.get(f"/api/actions/{created['taskId']}", user=customer).json["status"] == "running"
    assert api.get(f"/api/server/{created['id']}/status", user=customer).json == {
        "id": created["id"],
        "status": "creating",
        "stats": {"status": "unavailable", "data": None},
    }
    assert_error(api.post(f"/api/server/{created['id']}/stop", user=customer), 409, "locked")

    assert api.jobs.run_pending() == 1
    assert api.server(customer, created["id"])["status"] == "running"


def test_a_server_whose_guest_cannot_be_created_fails_and_costs_nothing(
    api: Api, customer: User
) -> None:
    api.hypervisor.fail_next("create", message="storage full")

    created = api.order(customer)

    server = api.server(customer, created["id"])
    assert server["status"] == "failed" and "storage full" in server["failureReason"]
    assert api.balance(customer) == "1000.000000"
    assert api.hypervisor.guests_all() == []
    assert api.get(f"/api/actions/{created['taskId']}", user=customer).json["status"] == "error"


# --- one server -----------------------------------------------------------------------------------


def test_one_server_in_the_seed_shape(api: Api, customer: User) -> None:
    created = api.order(customer)

    result = api.get(f"/api/server/{created['id']}", user=customer)

    assert result.status_code == 200
    assert_server_view(result.json)
    assert result.json["id"] == created["id"] and result.json["status"] == "running"
    assert result.json["createdAt"] == "2026-01-15T10:00:00Z"


@pytest.mark.parametrize("server_id", ["999", "0", "-1", "99999999999999999999"])
def test_an_unknown_server_is_404(api: Api, customer: User, server_id: str) -> None:
    for suffix in ("", "/status", "/actions", "/snapshots"):
        assert_error(api.get(f"/api/server/{server_id}{suffix}", user=customer), 404, "not_found")


def test_a_server_path_that_is_not_a_number_is_404(api: Api, customer: User) -> None:
    assert_error(api.get("/api/server/abc", user=customer), 404, "not_found")


def test_one_server_needs_a_login(api: Api, customer: User) -> None:
    created = api.order(customer)

    assert_error(api.get(f"/api/server/{created['id']}"), 401, "unauthenticated")
    assert_error(api.get(f"/api/server/{created['id']}/status"), 401, "unauthenticated")


# --- status ---------------------------------------------------------------------------------------


def test_status_and_live_figures(api: Api, customer: User) -> None:
    server = api.running_server(customer)
    api.hypervisor.set_usage(server["proxmoxId"], cpu=0.5, memory_used=512 * 1024 * 1024)

    result = api.get(f"/api/server/{server['id']}/status", user=customer)

    assert result.status_code == 200
    body = result.json
    assert (body["id"], body["status"], body["stats"]["status"]) == (
        server["id"],
        "running",
        "success",
    )
    data = body["stats"]["data"]
    assert data["vmid"] == server["proxmoxId"] and data["status"] == "running"
    assert data["cpu"] == 0.5
    assert data["memory"] == {"used": 512 * 1024 * 1024, "max": 1024 * 1024 * 1024, "usage": 50.0}
    assert set(data["disk"]) == {"used", "max", "usage"} and set(data["network"]) == {"in", "out"}
    assert isinstance(data["uptime"], int) and isinstance(data["rrdData"], list) and data["rrdData"]


def test_status_with_the_hypervisor_away_is_still_200_without_figures(
    api: Api, customer: User
) -> None:
    server = api.running_server(customer)
    guest = api.hypervisor.guest(server["proxmoxId"])
    assert guest is not None
    api.hypervisor.set_node_online(guest.node, False)

    result = api.get(f"/api/server/{server['id']}/status", user=customer)

    assert result.status_code == 200
    assert result.json["stats"] == {"status": "unavailable", "data": None}


# --- delete ---------------------------------------------------------------------------------------


def test_deleting_a_server(api: Api, customer: User) -> None:
    server = api.running_server(customer)

    result = api.delete(f"/api/server/{server['id']}", user=customer)

    assert result.status_code == 202
    body = result.json
    assert (body["status"], body["action"]) == ("deleting", "delete")
    assert isinstance(body["taskId"], int)
    assert api.hypervisor.guest(server["proxmoxId"]) is None
    assert_error(api.get(f"/api/server/{server['id']}", user=customer), 404, "not_found")
    assert api.get("/api/server", user=customer).json == []
    assert_error(api.delete(f"/api/server/{server['id']}", user=customer), 404, "not_found")
    assert api.get(f"/api/actions/{body['taskId']}", user=customer).json["status"] == "success"


def test_a_server_being_deleted_shows_as_deleting(api: Api, customer: User) -> None:
    server = api.running_server(customer)
    api.jobs.auto_run = False

    assert api.delete(f"/api/server/{server['id']}", user=customer).status_code == 202

    assert api.server(customer, server["id"])["status"] == "deleting"
    assert api.hypervisor.guest(server["proxmoxId"]) is not None
    assert_error(api.delete(f"/api/server/{server['id']}", user=customer), 409, "locked")
    api.jobs.run_pending()
    assert_error(api.get(f"/api/server/{server['id']}", user=customer), 404, "not_found")


def test_a_failed_server_can_be_deleted(api: Api, customer: User) -> None:
    api.hypervisor.fail_next("create")
    created = api.order(customer)

    assert api.delete(f"/api/server/{created['id']}", user=customer).status_code == 202
    assert api.get("/api/server", user=customer).json == []


def test_deleting_a_busy_server_is_409_and_changes_nothing(api: Api, customer: User) -> None:
    server = api.running_server(customer)
    api.jobs.auto_run = False
    api.post(f"/api/server/{server['id']}/restart", user=customer)
    before = api.state()

    assert_error(api.delete(f"/api/server/{server['id']}", user=customer), 409, "locked")
    assert api.state() == before


def test_deleting_needs_a_login(api: Api, customer: User) -> None:
    server = api.running_server(customer)

    assert_error(api.delete(f"/api/server/{server['id']}"), 401, "unauthenticated")
    assert api.server(customer, server["id"])["status"] == "running"
