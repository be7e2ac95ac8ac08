"""POST /api/server/console {vmid}: a short-lived noVNC console ticket."""

from __future__ import annotations

import pytest
from api_support import RFC3339_UTC, Api, User, assert_error

from domain.model.errors import CapacityExhausted


def test_a_console_ticket_for_my_running_server(api: Api, customer: User) -> None:
    server = api.running_server(customer)
    vmid = server["proxmoxId"]

    result = api.post("/api/server/console", user=customer, json={"vmid": vmid})

    assert result.status_code == 200
    body = result.json
    assert set(body) == {"status", "url", "host", "port", "ticket", "expiresAt"}
    assert body["status"] == "success"
    assert (
        body["url"].startswith("https://pve.example.net:8006/?console=lxc&")
        and f"vmid={vmid}" in body["url"]
    )
    assert body["ticket"].startswith("PVEVNC:")
    assert RFC3339_UTC.match(body["expiresAt"]) and body["expiresAt"] == "2026-01-15T10:00:40Z"


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
        ({}, "vmid"),
        ({"vmid": "100"}, "vmid"),
        ({"vmid": 0}, "vmid"),
        ({"vmid": -100}, "vmid"),
        ({"vmid": 100.5}, "vmid"),
        ({"vmid": 10**30}, "vmid"),
        ({"vmid": None}, "vmid"),
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


def test_a_console_the_hypervisor_fails_is_502(api: Api, customer: User) -> None:
    server = api.running_server(customer)
    api.hypervisor.fail_next("console", message="vncproxy crashed")

    result = api.post("/api/server/console", user=customer, json={"vmid": server["proxmoxId"]})

    assert_error(result, 502, "external_failure")
    assert (
        api.post(
            "/api/server/console", user=customer, json={"vmid": server["proxmoxId"]}
        ).status_code
        == 200
    )


def test_the_console_with_the_node_offline_is_503_with_retry_after(
    api: Api, customer: User
) -> None:
    server = api.running_server(customer)
    guest = api.hypervisor.guest(server["proxmoxId"])
    assert guest is not None
    api.hypervisor.set_node_online(guest.node, False)

    result = api.post("/api/server/console", user=customer, json={"vmid": server["proxmoxId"]})

    assert assert_error(result, 503, "unavailable")["details"] == {"node": guest.node}
    assert int(result.headers["Retry-After"]) > 0
    api.hypervisor.set_node_online(guest.node, True)
    assert (
        api.post(
            "/api/server/console", user=customer, json={"vmid": server["proxmoxId"]}
        ).status_code
        == 200
    )


def test_a_hypervisor_out_of_capacity_is_503_with_retry_after(api: Api, customer: User) -> None:
    server = api.running_server(customer)
    api.hypervisor.fail_next("console", error=CapacityExhausted("no console proxies left"))

    result = api.post("/api/server/console", user=customer, json={"vmid": server["proxmoxId"]})

    assert_error(result, 503, "capacity_exhausted")
    assert int(result.headers["Retry-After"]) > 0
