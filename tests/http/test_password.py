"""POST /api/server/{id}/password: a new root password, shown once."""

from __future__ import annotations

from api_support import Api, User, assert_error


def test_resetting_the_root_password_shows_the_new_one_once(api: Api, customer: User) -> None:
    server = api.running_server(customer)
    old = api.hypervisor.password_of(server["proxmoxId"])

    result = api.post(f"/api/server/{server['id']}/password", user=customer)

    assert result.status_code == 202
    body = result.json
    assert body["action"] == "password" and isinstance(body["taskId"], int)
    new = body["password"]
    assert isinstance(new, str) and len(new) >= 12 and new != old
    assert api.hypervisor.password_of(server["proxmoxId"]) == new
    for path in (
        f"/api/server/{server['id']}",
        "/api/server",
        f"/api/server/{server['id']}/actions",
        f"/api/actions/{body['taskId']}",
    ):
        assert new not in api.get(path, user=customer).text


def test_a_password_reset_waits_for_its_job(api: Api, customer: User) -> None:
    server = api.running_server(customer)
    old = api.hypervisor.password_of(server["proxmoxId"])
    api.jobs.auto_run = False

    new = api.post(f"/api/server/{server['id']}/password", user=customer).json["password"]

    assert api.hypervisor.password_of(server["proxmoxId"]) == old
    api.jobs.run_pending()
    assert api.hypervisor.password_of(server["proxmoxId"]) == new


def test_a_stopped_server_password_is_409(api: Api, customer: User) -> None:
    server = api.running_server(customer)
    api.post(f"/api/server/{server['id']}/stop", user=customer)
    before = api.state()

    assert_error(
        api.post(f"/api/server/{server['id']}/password", user=customer), 409, "invalid_state"
    )
    assert api.state() == before


def test_a_password_reset_on_a_busy_server_is_409(api: Api, customer: User) -> None:
    server = api.running_server(customer)
    api.jobs.auto_run = False
    api.post(f"/api/server/{server['id']}/restart", user=customer)
    before = api.state()

    assert_error(api.post(f"/api/server/{server['id']}/password", user=customer), 409, "locked")
    assert api.state() == before


def test_a_password_reset_needs_a_login_and_a_known_server(api: Api, customer: User) -> None:
    server = api.running_server(customer)
    before = api.state()

    assert_error(api.post(f"/api/server/{server['id']}/password"), 401, "unauthenticated")
    assert_error(api.post("/api/server/999/password", user=customer), 404, "not_found")
    assert api.state() == before
