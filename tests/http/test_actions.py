"""Actions: the seed's taskId, one by id and a server's list."""

from __future__ import annotations

from api_support import Api, User, assert_error

from domain.model.action import ActionCommand


def test_an_action_by_its_task_id(api: Api, customer: User) -> None:
    server = api.running_server(customer)
    task = api.post(f"/api/server/{server['id']}/stop", user=customer).json["taskId"]

    result = api.get(f"/api/actions/{task}", user=customer)

    assert result.status_code == 200
    assert result.json == {
        "id": task,
        "serverId": server["id"],
        "command": "stop_server",
        "status": "success",
        "progress": 100,
        "startedAt": "2026-01-15T10:00:00Z",
        "finishedAt": "2026-01-15T10:00:00Z",
        "error": None,
    }


def test_a_running_action(api: Api, customer: User) -> None:
    server = api.running_server(customer)
    api.jobs.auto_run = False
    task = api.post(f"/api/server/{server['id']}/stop", user=customer).json["taskId"]

    body = api.get(f"/api/actions/{task}", user=customer).json

    assert (body["status"], body["finishedAt"], body["error"]) == ("running", None, None)
    assert body["progress"] < 100


def test_a_failed_action_carries_its_error(api: Api, customer: User) -> None:
    server = api.running_server(customer)
    api.hypervisor.fail_next("reboot", message="qmp timeout")
    task = api.post(f"/api/server/{server['id']}/restart", user=customer).json["taskId"]

    body = api.get(f"/api/actions/{task}", user=customer).json

    assert body["status"] == "error"
    assert body["error"]["code"] == "external_failure" and "qmp timeout" in body["error"]["message"]


def test_a_servers_actions_newest_first(api: Api, customer: User) -> None:
    server = api.running_server(customer)
    api.post(f"/api/server/{server['id']}/stop", user=customer)
    api.post(f"/api/server/{server['id']}/start", user=customer)

    result = api.get(f"/api/server/{server['id']}/actions", user=customer)

    assert result.status_code == 200
    listed = result.json["data"]
    assert [a["command"] for a in listed] == ["start_server", "stop_server", "create_server"]
    assert [a["id"] for a in listed] == sorted((a["id"] for a in listed), reverse=True)
    assert result.json["meta"]["pagination"]["total"] == 3


def test_actions_need_a_login_and_a_known_id(api: Api, customer: User) -> None:
    server = api.running_server(customer)

    assert_error(api.get("/api/actions/1"), 401, "unauthenticated")
    assert_error(api.get(f"/api/server/{server['id']}/actions"), 401, "unauthenticated")
    assert_error(api.get("/api/actions/999", user=customer), 404, "not_found")
    assert_error(api.get("/api/server/999/actions", user=customer), 404, "not_found")


def test_the_documented_commands_are_the_commands_table(api: Api) -> None:
    """The OpenAPI document lists an action's commands from the server commands' table."""
    document = api.get("/api/openapi.json").json
    answer = document["paths"]["/api/actions/{action_id}"]["get"]["responses"]["200"]
    schema = answer["content"]["application/json"]["schema"]
    assert sorted(schema["properties"]["command"]["enum"]) == sorted(c.value for c in ActionCommand)
