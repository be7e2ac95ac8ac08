"""A second customer gets 404 `not_found` on every route that names the first customer's
resource, exactly as for an id that does not exist, and nothing changes."""

from __future__ import annotations

from typing import Any

import pytest
from api_support import Api, User, assert_error

# (method, path, body); {sid} is a running server with a snapshot, {stopped} a stopped one, {aid} an
# action, {tid} a personal token, {vmid} the running server's guest.
ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/api/server/{sid}", None),
    ("DELETE", "/api/server/{sid}", None),
    ("GET", "/api/server/{sid}/status", None),
    ("POST", "/api/server/{stopped}/start", None),
    ("POST", "/api/server/{sid}/stop", None),
    ("POST", "/api/server/{sid}/restart", None),
    ("POST", "/api/server/{sid}/password", None),
    ("PUT", "/api/server/{sid}/resize", {"cores": 2}),
    ("GET", "/api/server/{sid}/snapshots", None),
    ("POST", "/api/server/{sid}/snapshots", {"snapname": "mine-now"}),
    ("DELETE", "/api/server/{sid}/snapshots", {"snapname": "precious"}),
    ("POST", "/api/server/{sid}/snapshots/rollback", {"snapname": "precious"}),
    ("GET", "/api/server/{sid}/firewall", None),
    ("PUT", "/api/server/{sid}/firewall", {"rules": [{"protocol": "tcp", "fromPort": 1}]}),
    ("GET", "/api/server/{sid}/actions", None),
    ("GET", "/api/actions/{aid}", None),
    ("DELETE", "/api/tokens/{tid}", None),
    ("POST", "/api/server/console", {"vmid": "{vmid}"}),
]
UNKNOWN = {"sid": 999_999, "stopped": 999_999, "aid": 999_999, "tid": 999_999, "vmid": 999_999}


@pytest.fixture
def owned(api: Api, customer: User) -> dict[str, int]:
    server = api.running_server(customer)
    stopped = api.running_server(customer)
    api.post(f"/api/server/{stopped['id']}/stop", user=customer)
    snap = api.post(
        f"/api/server/{server['id']}/snapshots", user=customer, json={"snapname": "precious"}
    )
    token = api.post("/api/tokens", user=customer, json={"name": "deploy"})
    assert snap.status_code == 202 and token.status_code == 201
    return {
        "sid": server["id"],
        "stopped": stopped["id"],
        "aid": snap.json["taskId"],
        "tid": token.json["id"],
        "vmid": server["proxmoxId"],
    }


def _fill(
    route: tuple[str, str, dict[str, Any] | None], ids: dict[str, int]
) -> tuple[str, str, Any]:
    method, path, body = route
    if body is not None:
        body = {
            k: ids[v[1:-1]] if isinstance(v, str) and v.startswith("{") else v
            for k, v in body.items()
        }
    return method, path.format(**ids), body


@pytest.mark.parametrize("route", ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_another_customers_resource_is_not_found(
    api: Api,
    customer: User,
    stranger: User,
    owned: dict[str, int],
    route: tuple[str, str, dict[str, Any] | None],
) -> None:
    api.running_server(stranger)  # the stranger has servers of their own
    method, path, body = _fill(route, owned)
    before = api.state()

    result = api.request(method, path, user=stranger, json=body)

    refused = assert_error(result, 404, "not_found")
    assert api.state() == before
    # Indistinguishable from an id that does not exist.
    method, path, body = _fill(route, UNKNOWN)
    missing = assert_error(api.request(method, path, user=stranger, json=body), 404, "not_found")
    assert refused["details"]["kind"] == missing["details"]["kind"]
    assert refused["error"].replace(str(refused["details"]["id"]), "#") == missing["error"].replace(
        str(missing["details"]["id"]), "#"
    )
    # And the owner still may.
    method, path, body = _fill(route, owned)
    assert api.request(method, path, user=customer, json=body).status_code < 300


def test_another_customers_server_is_not_listed_or_counted(
    api: Api, customer: User, stranger: User, owned: dict[str, int]
) -> None:
    assert api.get("/api/server", user=stranger).json == []
    assert api.get("/api/tokens", user=stranger).json["data"] == []
    assert api.get("/api/transactions", user=stranger).json["meta"]["pagination"]["total"] == 1
    assert api.get("/api/balance", user=stranger).json["hourlyBurn"]["amount"] == "0.000000"
