"""Every state-changing call leaves an audit record: who, what, and how it ended."""

from __future__ import annotations

from typing import Any

import pytest
from api_support import Api, User


def _http_records(api: Api) -> list[Any]:
    return [r for r in api.audit() if r.action.startswith("http.")]


def test_a_state_changing_call_is_audited_with_actor_target_and_result(
    api: Api, customer: User
) -> None:
    server = api.running_server(customer)
    count = len(_http_records(api))

    result = api.post(
        f"/api/server/{server['id']}/stop", user=customer, headers={"X-Request-Id": "audit-1"}
    )

    assert result.status_code == 202
    records = _http_records(api)
    assert len(records) == count + 1
    record = records[-1]
    assert (record.actor_id, record.action, record.target, record.result) == (
        customer.id,
        "http.post",
        f"/api/server/{server['id']}/stop",
        "202",
    )
    assert ("request_id", "audit-1") in record.details
    assert record.at == api.clock.now()
    # The use case's own record says what happened to which server.
    domain = [r for r in api.audit() if r.action == "server.stop"]
    assert [(r.actor_id, r.target) for r in domain] == [(customer.id, f"server:{server['id']}")]


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", "/api/server/{sid}/start", None, "409"),
        ("POST", "/api/server/999/stop", None, "404"),
        ("PUT", "/api/server/{sid}/resize", {"cores": 99}, "422"),
        ("DELETE", "/api/server/{sid}", None, "202"),
        ("POST", "/api/tokens", {"name": "ci"}, "201"),
        ("POST", "/api/server/create", {"osId": 1, "tariffId": 1}, "201"),
    ],
)
def test_refused_and_accepted_writes_are_audited_with_their_status(
    api: Api, customer: User, method: str, path: str, body: dict[str, Any] | None, status: str
) -> None:
    server = api.running_server(customer)
    url = path.format(sid=server["id"])

    api.request(method, url, user=customer, json=body)

    record = _http_records(api)[-1]
    assert (record.actor_id, record.action, record.target, record.result) == (
        customer.id,
        f"http.{method.lower()}",
        url,
        status,
    )


def test_an_unauthenticated_write_is_audited_without_an_actor(api: Api, customer: User) -> None:
    server = api.running_server(customer)

    api.post(f"/api/server/{server['id']}/stop")

    record = _http_records(api)[-1]
    assert (record.actor_id, record.target, record.result) == (
        None,
        f"/api/server/{server['id']}/stop",
        "401",
    )


def test_an_admin_correction_is_audited_with_the_admin_as_actor(
    api: Api, admin: User, customer: User
) -> None:
    api.post(
        f"/api/admin/customers/{customer.id}/credit",
        user=admin,
        json={"amount": "7.00", "reason": "refund"},
        headers={"Idempotency-Key": "audit"},
    )

    http = _http_records(api)[-1]
    assert (http.actor_id, http.target, http.result) == (
        admin.id,
        f"/api/admin/customers/{customer.id}/credit",
        "200",
    )
    adjust = [r for r in api.audit() if r.action == "balance.adjust"][-1]
    assert adjust.actor_id == admin.id and adjust.target == f"account:{customer.id}"
    assert ("reason", "refund") in adjust.details


def test_reads_are_not_audited(api: Api, customer: User) -> None:
    count = len(api.audit())

    for path in ("/api/server", "/api/balance", "/api/auth/me", "/api/tariffs"):
        assert api.get(path, user=customer).status_code == 200

    assert len(api.audit()) == count
