"""Snapshots: list, take, roll back, delete (named in a DELETE body)."""

from __future__ import annotations

from typing import Any

import pytest
from api_support import Api, User, assert_error


def _snapshot(
    api: Api, user: User, server: dict[str, Any], name: str = "before-upgrade"
) -> dict[str, Any]:
    result = api.post(
        f"/api/server/{server['id']}/snapshots",
        user=user,
        json={"snapname": name, "description": "Before major update"},
    )
    assert result.status_code == 202, result.text
    return result.json  # type: ignore[no-any-return]


def test_no_snapshots_at_first(api: Api, customer: User) -> None:
    server = api.running_server(customer)

    result = api.get(f"/api/server/{server['id']}/snapshots", user=customer)

    assert result.status_code == 200 and result.json == {"status": "success", "data": []}


def test_taking_and_listing_a_snapshot(api: Api, customer: User) -> None:
    server = api.running_server(customer)

    body = _snapshot(api, customer, server)

    assert body["snapname"] == "before-upgrade" and body["action"] == "snapshot"
    assert isinstance(body["taskId"], int)
    listed = api.get(f"/api/server/{server['id']}/snapshots", user=customer)
    assert listed.status_code == 200
    assert listed.json == {
        "status": "success",
        "data": [
            {"name": "before-upgrade", "description": "Before major update", "snaptime": 1768471200}
        ],
    }
    assert api.snapshot_names(server["proxmoxId"]) == ["before-upgrade"]


def test_rolling_back_to_a_snapshot(api: Api, customer: User) -> None:
    server = api.running_server(customer)
    _snapshot(api, customer, server)

    result = api.post(
        f"/api/server/{server['id']}/snapshots/rollback",
        user=customer,
        json={"snapname": "before-upgrade"},
    )

    assert result.status_code == 202
    assert result.json["action"] == "rollback"
    assert ("rollback", server["proxmoxId"]) in api.hypervisor.call_log
    action = api.get(f"/api/actions/{result.json['taskId']}", user=customer).json
    assert (action["command"], action["status"]) == ("rollback_snapshot", "success")


def test_deleting_a_snapshot(api: Api, customer: User) -> None:
    server = api.running_server(customer)
    _snapshot(api, customer, server)

    result = api.delete(
        f"/api/server/{server['id']}/snapshots", user=customer, json={"snapname": "before-upgrade"}
    )

    assert result.status_code == 202
    assert result.json["action"] == "delete_snapshot"
    assert api.snapshot_names(server["proxmoxId"]) == []
    assert api.get(f"/api/server/{server['id']}/snapshots", user=customer).json["data"] == []


def test_a_snapshot_name_is_taken_once(api: Api, customer: User) -> None:
    server = api.running_server(customer)
    _snapshot(api, customer, server)
    before = api.state()

    result = api.post(
        f"/api/server/{server['id']}/snapshots", user=customer, json={"snapname": "before-upgrade"}
    )

    assert_error(result, 409, "already_exists", "snapname")
    assert api.state() == before


def test_a_server_keeps_a_bounded_number_of_snapshots(api: Api, customer: User) -> None:
    server = api.running_server(customer)
    for n in range(api.rt.policy.max_snapshots_per_server):
        _snapshot(api, customer, server, f"snap{n}")
    before = api.state()

    result = api.post(
        f"/api/server/{server['id']}/snapshots", user=customer, json={"snapname": "onemore"}
    )

    assert_error(result, 400, "invalid", "snapname")
    assert api.state() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "snapname"),
        ({"snapname": ""}, "snapname"),
        ({"snapname": "1st"}, "snapname"),
        ({"snapname": "has space"}, "snapname"),
        ({"snapname": "снимок"}, "snapname"),
        ({"snapname": "a\u200bb"}, "snapname"),
        ({"snapname": "x" * 41}, "snapname"),
        ({"snapname": 7}, "snapname"),
        ({"snapname": "ok-name", "description": "x" * 256}, "description"),
        ({"snapname": "ok-name", "description": None}, "description"),
        ({"snapname": "ok-name", "vmstate": True}, "vmstate"),
    ],
)
def test_taking_a_snapshot_refuses_bad_input(
    api: Api, customer: User, body: dict[str, Any], field: str
) -> None:
    server = api.running_server(customer)
    before = api.state()

    assert_error(
        api.post(f"/api/server/{server['id']}/snapshots", user=customer, json=body),
        400,
        "invalid",
        field,
    )
    assert api.state() == before


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/snapshots/rollback"),
        ("DELETE", "/snapshots"),
    ],
)
def test_an_unknown_snapshot_is_404_and_a_bad_name_400(
    api: Api, customer: User, method: str, path: str
) -> None:
    server = api.running_server(customer)
    _snapshot(api, customer, server)
    before = api.state()
    url = f"/api/server/{server['id']}{path}"

    body = assert_error(
        api.request(method, url, user=customer, json={"snapname": "nosuch"}), 404, "not_found"
    )
    assert body["details"]["kind"] == "snapshot"
    assert_error(
        api.request(method, url, user=customer, json={"snapname": "9lives"}),
        400,
        "invalid",
        "snapname",
    )
    assert_error(api.request(method, url, user=customer, json={}), 400, "invalid", "snapname")
    assert_error(api.request(method, url, user=customer), 400, "invalid")
    assert api.state() == before


def test_snapshot_commands_on_a_busy_server_are_409(api: Api, customer: User) -> None:
    server = api.running_server(customer)
    _snapshot(api, customer, server)
    api.jobs.auto_run = False
    api.post(f"/api/server/{server['id']}/restart", user=customer)
    before = api.state()
    url = f"/api/server/{server['id']}/snapshots"

    assert_error(api.post(url, user=customer, json={"snapname": "another"}), 409, "locked")
    assert_error(
        api.post(f"{url}/rollback", user=customer, json={"snapname": "before-upgrade"}),
        409,
        "locked",
    )
    assert_error(api.delete(url, user=customer, json={"snapname": "before-upgrade"}), 409, "locked")
    assert api.state() == before


def test_a_snapshot_being_taken_is_listed_only_once_done(api: Api, customer: User) -> None:
    server = api.running_server(customer)
    api.jobs.auto_run = False

    result = api.post(
        f"/api/server/{server['id']}/snapshots", user=customer, json={"snapname": "later"}
    )

    assert result.status_code == 202 and result.json["status"] == "running"
    assert api.get(f"/api/server/{server['id']}/snapshots", user=customer).json["data"] == []
    api.jobs.run_pending()
    assert [
        s["name"]
        for s in api.get(f"/api/server/{server['id']}/snapshots", user=customer).json["data"]
    ] == ["later"]


def test_snapshots_need_a_login(api: Api, customer: User) -> None:
    server = api.running_server(customer)
    url = f"/api/server/{server['id']}/snapshots"

    assert_error(api.get(url), 401, "unauthenticated")
    assert_error(api.post(url, json={"snapname": "x1"}), 401, "unauthenticated")
    assert_error(api.delete(url, json={"snapname": "x1"}), 401, "unauthenticated")
    assert_error(api.post(f"{url}/rollback", json={"snapname": "x1"}), 401, "unauthenticated")
    assert api.snapshot_names(server["proxmoxId"]) == []


def test_snapshots_with_the_node_offline_are_503_with_retry_after(api: Api, customer: User) -> None:
    server = api.running_server(customer)
    _snapshot(api, customer, server)
    guest = api.hypervisor.guest(server["proxmoxId"])
    assert guest is not None
    api.hypervisor.set_node_online(guest.node, False)
    before = api.state()
    url = f"/api/server/{server['id']}/snapshots"

    for result in (
        api.get(url, user=customer),
        api.post(url, user=customer, json={"snapname": "another"}),
        api.post(f"{url}/rollback", user=customer, json={"snapname": "before-upgrade"}),
        api.delete(url, user=customer, json={"snapname": "before-upgrade"}),
    ):
        assert_error(result, 503, "unavailable")
        assert int(result.headers["Retry-After"]) > 0
    assert api.state() == before
