"""POST /api/server/{id}/rebuild: a reinstall as an action, its password once, the snapshots it
removes; a licence's price shown from the next month; across guest kinds, someone else's server
and bad bodies refused."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from api_support import Api, User, assert_error
from jsonschema import Draft202012Validator

from domain.usecases.billing import billing_run


def running(api: Api, user: User, **order: Any) -> int:
    created = api.order(user, **order)
    api.jobs.run_pending()
    return int(created["id"])


def test_a_rebuild_answers_its_action_and_the_new_password(api: Api, customer: User) -> None:
    server_id = running(api, customer)
    api.post(f"/api/server/{server_id}/snapshots", user=customer, json={"snapname": "before"})
    api.jobs.run_pending()

    result = api.post(f"/api/server/{server_id}/rebuild", user=customer, json={"osId": 2})

    assert result.status_code == 202, result.text
    body = result.json
    assert body["status"] == "running" and body["action"] == "rebuild"
    assert body["rootPassword"] and body["user"] == "root"
    assert body["removedSnapshots"] == ["before"] and "before" in body["warning"]
    api.jobs.run_pending()
    action = api.get(f"/api/actions/{body['taskId']}", user=customer).json
    assert (action["command"], action["status"]) == ("rebuild_server", "success")
    server = api.get(f"/api/server/{server_id}", user=customer).json
    assert server["osId"] == 2 and server["status"] == "running"


def test_a_container_cannot_be_rebuilt_as_a_vm(api: Api, customer: User) -> None:
    server_id = running(api, customer)
    before = api.state()
    result = api.post(f"/api/server/{server_id}/rebuild", user=customer, json={"osId": 4})
    assert_error(result, 409, "conflict")
    assert api.state() == before


def test_someone_elses_server_is_not_found(api: Api, customer: User, stranger: User) -> None:
    server_id = running(api, customer)
    result = api.post(f"/api/server/{server_id}/rebuild", user=stranger, json={"osId": 2})
    assert_error(result, 404, "not_found")


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({}, 400, "osId"),
        ({"osId": "2"}, 400, "osId"),
        ({"osId": 999}, 422, "osId"),
        ({"osId": 2, "sshKeys": [999]}, 422, "sshKeys"),
        ({"osId": 2, "sshKeys": "1"}, 400, "sshKeys"),
    ],
)
def test_bad_bodies_are_refused_and_change_nothing(
    api: Api, customer: User, body: dict[str, Any], status: int, field: str
) -> None:
    server_id = running(api, customer)
    before = api.state()
    result = api.post(f"/api/server/{server_id}/rebuild", user=customer, json=body)
    assert_error(result, status, "rule_violation" if status == 422 else "invalid", field)
    assert api.state() == before


def test_a_licence_change_shows_as_the_price_from_the_next_month(api: Api, customer: User) -> None:
    vm = {"osId": 4, "locationId": 1, "cores": 2, "memory": 4096, "disk": 50}  # 2.50 an hour
    server_id = running(api, customer, **vm)

    api.post(f"/api/server/{server_id}/rebuild", user=customer, json={"osId": 5})  # Windows
    api.jobs.run_pending()

    server = api.server(customer, server_id)
    assert (server["hourly"]["amount"], server["monthly"]["amount"]) == ("2.500000", "1825.00")
    assert server["pendingPrice"] == {
        "hourly": {"amount": "4.000000", "exact": "4.000000", "currency": "RUB"},
        "monthly": {"amount": "2920.00", "exact": "2920.000000", "currency": "RUB"},
        "startsAt": "2026-02-01T00:00:00Z",
    }
    documented = api.get("/api/openapi.json").json["paths"]["/api/server/{server_id}"]["get"]
    schema = documented["responses"]["200"]["content"]["application/json"]["schema"]
    Draft202012Validator(schema).validate(server)

    api.clock.set(dt.datetime(2026, 2, 1, 1, tzinfo=dt.UTC))
    billing_run(api.rt)
    customer = api.login(customer.email)  # the session from January has expired
    server = api.server(customer, server_id)
    assert (server["hourly"]["amount"], server["pendingPrice"]) == ("4.000000", None)
    Draft202012Validator(schema).validate(server)
