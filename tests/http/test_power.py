"""Start, stop and restart: accepted at once (202), carried out as an action."""

from __future__ import annotations

import pytest
from api_support import Api, User, assert_error


def _guest_status(api: Api, vmid: int) -> str:
    guest = api.hypervisor.guest(vmid)
    assert guest is not None
    return guest.status


def test_stop_then_start(api: Api, customer: User) -> None:
    server = api.running_server(customer)
    sid, vmid = server["id"], server["proxmoxId"]

    stop = api.post(f"/api/server/{sid}/stop", user=customer)

    assert stop.status_code == 202
    assert stop.json["action"] == "stop" and isinstance(stop.json["taskId"], int)
    assert api.server(customer, sid)["status"] == "stopped"
    assert _guest_status(api, vmid) == "stopped"

    start = api.post(f"/api/server/{sid}/start", user=customer)

    assert start.status_code == 202
    assert start.json["action"] == "start" and start.json["taskId"] > stop.json["taskId"]
    assert api.server(customer, sid)["status"] == "running"
    assert _guest_status(api, vmid) == "running"


def test_restart(api: Api, customer: User) -> None:
    server = api.running_server(customer)

    result = api.post(f"/api/server/{server['id']}/restart", user=customer)

    assert result.status_code == 202
    assert result.json["action"] == "restart"
    assert ("reboot", server["proxmoxId"]) in api.hypervisor.call_log
    action = api.get(f"/api/actions/{result.json['taskId']}", user=customer).json
    assert (action["command"], action["status"]) == ("restart_server", "success")


def test_an_accepted_action_is_running_until_its_job_runs(api: Api, customer: User) -> None:
    server = api.running_server(customer)
    api.jobs.auto_run = False

    result = api.post(f"/api/server/{server['id']}/stop", user=customer)

    assert result.status_code == 202
    assert result.json["status"] == "running"
    task = f"/api/actions/{result.json['taskId']}"
    assert api.get(task, user=customer).json["status"] == "running"
    assert api.server(customer, server["id"])["status"] == "running"
    api.jobs.run_pending()
    assert api.get(task, user=customer).json["status"] == "success"
    assert api.server(customer, server["id"])["status"] == "stopped"


@pytest.mark.parametrize(
    ("verb", "stopped_first"), [("start", False), ("stop", True), ("restart", True)]
)
def test_a_command_the_state_forbids_is_409_and_changes_nothing(
    api: Api, customer: User, verb: str, stopped_first: bool
) -> None:
    server = api.running_server(customer)
    if stopped_first:
        api.post(f"/api/server/{server['id']}/stop", user=customer)
    before = api.state()

    body = assert_error(
        api.post(f"/api/server/{server['id']}/{verb}", user=customer), 409, "invalid_state"
    )

    assert body["details"]["attempted"] == verb
    assert api.state() == before


@pytest.mark.parametrize("verb", ["start", "stop", "restart"])
def test_a_command_while_another_runs_is_409_locked(api: Api, customer: User, verb: str) -> None:
    server = api.running_server(customer)
    api.jobs.auto_run = False
    running = api.post(f"/api/server/{server['id']}/restart", user=customer).json["taskId"]
    before = api.state()

    body = assert_error(
        api.post(f"/api/server/{server['id']}/{verb}", user=customer), 409, "locked"
    )

    assert body["details"]["action_id"] == running
    assert api.state() == before


def test_a_command_on_a_server_still_creating_is_409(api: Api, customer: User) -> None:
    api.jobs.auto_run = False
    created = api.order(customer)

    assert_error(api.post(f"/api/server/{created['id']}/stop", user=customer), 409, "locked")


def test_a_failing_hypervisor_fails_the_action_not_the_request(api: Api, customer: User) -> None:
    server = api.running_server(customer)
    api.hypervisor.fail_next("shutdown", message="guest refused")

    result = api.post(f"/api/server/{server['id']}/stop", user=customer)

    assert result.status_code == 202
    action = api.get(f"/api/actions/{result.json['taskId']}", user=customer).json
    assert action["status"] == "error" and "guest refused" in action["error"]["message"]
    assert api.server(customer, server["id"])["status"] == "running"
    assert api.post(f"/api/server/{server['id']}/stop", user=customer).status_code == 202


@pytest.mark.parametrize("verb", ["start", "stop", "restart"])
def test_power_commands_need_a_login_and_a_known_server(
    api: Api, customer: User, verb: str
) -> None:
    server = api.running_server(customer)
    before = api.state()

    assert_error(api.post(f"/api/server/{server['id']}/{verb}"), 401, "unauthenticated")
    assert_error(api.post(f"/api/server/999/{verb}", user=customer), 404, "not_found")
    assert api.state() == before


def test_a_get_on_a_power_route_is_405(api: Api, customer: User) -> None:
    server = api.running_server(customer)

    result = api.get(f"/api/server/{server['id']}/stop", user=customer)

    assert_error(result, 405, "method_not_allowed")
    assert "POST" in result.headers.get("Allow", "")
