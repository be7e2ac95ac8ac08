"""POST /api/server/console {vmid} or {serverId}: a one-time link to the console page."""

from __future__ import annotations

import pytest
from api_support import RFC3339_UTC, Api, User, assert_error

from domain.model.accounts import token_digest


def test_a_console_link_for_my_running_server(api: Api, customer: User) -> None:
    server = api.running_server(customer)

    result = api.post("/api/server/console", user=customer, json={"vmid": server["proxmoxId"]})

    assert result.status_code == 200
    body = result.json
    assert set(body) == {"status", "url", "expiresAt"}
    assert body["status"] == "success"
    prefix = "http://falconframework.org/console/"  # the origin the request came to
    assert body["url"].startswith(prefix) and len(body["url"]) > len(prefix) + 40
    assert RFC3339_UTC.match(body["expiresAt"]) and body["expiresAt"] == "2026-01-15T10:01:00Z"
    # Only the digest of the secret is kept, bound to the server and the customer.
    secret = body["url"][len(prefix) :]
    with api.rt.uow() as uow:
        link = uow.console_links.get(token_digest(secret))
    assert link is not None and link.server_id == server["id"]
    assert link.account_id == customer.id and link.opened_at is None
    assert secret not in repr(api.store.tables)


def test_behind_a_proxy_the_link_is_on_the_forwarded_origin(api: Api, customer: User) -> None:
    server = api.running_server(customer)
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "panel.example.net"}

    result = api.post(
        "/api/server/console", user=customer, json={"serverId": server["id"]}, headers=forwarded
    )

    assert result.json["url"].startswith("https://panel.example.net/console/")


def test_a_console_link_by_server_id(api: Api, customer: User) -> None:
    server = api.running_server(customer)

    result = api.post("/api/server/console", user=customer, json={"serverId": server["id"]})

    assert result.status_code == 200 and "/console/" in result.json["url"]


def test_each_link_is_new(api: Api, customer: User) -> None:
    server = api.running_server(customer)
    body = {"serverId": server["id"]}

    first = api.post("/api/server/console", user=customer, json=body).json["url"]
    second = api.post("/api/server/console", user=customer, json=body).json["url"]

    assert first != second


def test_the_console_of_a_stopped_server_is_409(api: Api, customer: User) -> None:
    server = api.running_server(customer)
    api.post(f"/api/server/{server['id']}/stop", user=customer)

    assert_error(
        api.post("/api/server/console", user=customer, json={"vmid": server["proxmoxId"]}),
        409,
        "invalid_state",
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "serverId"),
        ({"vmid": 100, "serverId": 1}, "serverId"),
        ({"vmid": "100"}, "vmid"),
        ({"serverId": "1"}, "serverId"),
        ({"vmid": 0}, "vmid"),
        ({"vmid": -100}, "vmid"),
        ({"vmid": 100.5}, "vmid"),
        ({"vmid": 10**30}, "vmid"),
        ({"vmid": None}, "vmid"),
        ({"serverId": True}, "serverId"),
        ({"vmid": 100, "node": "pve-msk-1"}, "node"),
    ],
)
def test_the_console_refuses_bad_input(
    api: Api, customer: User, body: dict[str, object], field: str
) -> None:
    api.running_server(customer)

    assert_error(api.post("/api/server/console", user=customer, json=body), 400, "invalid", field)


def test_the_console_of_an_unknown_vmid_is_404(api: Api, customer: User) -> None:
    assert_error(
        api.post("/api/server/console", user=customer, json={"vmid": 4242}), 404, "not_found"
    )


def test_the_console_of_another_customers_server_is_404(
    api: Api, customer: User, stranger: User
) -> None:
    server = api.running_server(customer)

    for body in ({"vmid": server["proxmoxId"]}, {"serverId": server["id"]}):
        assert_error(api.post("/api/server/console", user=stranger, json=body), 404, "not_found")


def test_the_console_of_a_deleted_server_is_404(api: Api, customer: User) -> None:
    server = api.running_server(customer)
    api.delete(f"/api/server/{server['id']}", user=customer)

    assert_error(
        api.post("/api/server/console", user=customer, json={"vmid": server["proxmoxId"]}),
        404,
        "not_found",
    )


def test_the_console_needs_a_login(api: Api, customer: User) -> None:
    server = api.running_server(customer)

    assert_error(
        api.post("/api/server/console", json={"vmid": server["proxmoxId"]}), 401, "unauthenticated"
    )
