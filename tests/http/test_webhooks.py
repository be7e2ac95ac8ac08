"""/api/webhooks: register an endpoint (its secret shown once), list, read, remove, and see its
deliveries; the URL rules, someone else's webhook, and a retried registration."""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from api_support import SETTINGS, Api, User, assert_error

from domain.model.webhooks import MAX_WEBHOOKS_PER_CUSTOMER

URL = "https://hooks.example.com/oxnack"


def register(api: Api, user: User, **body: Any) -> Any:
    result = api.post(
        "/api/webhooks", user=user, json={"url": URL, "events": ["server.created"], **body}
    )
    assert result.status_code == 201, result.text
    return result.json


def test_a_webhook_is_registered_with_its_secret_shown_once(api: Api, customer: User) -> None:
    created = register(api, customer, events=["server.created", "action.finished"])
    assert created["secret"].startswith("whsec_") and len(created["secret"]) > 20
    assert created["events"] == ["action.finished", "server.created"]

    listed = api.get("/api/webhooks", user=customer).json
    assert listed == [{k: v for k, v in created.items() if k != "secret"}]
    one = api.get(f"/api/webhooks/{created['id']}", user=customer).json
    assert "secret" not in one and one["url"] == URL


def test_removing_a_webhook(api: Api, customer: User) -> None:
    created = register(api, customer)
    assert api.delete(f"/api/webhooks/{created['id']}", user=customer).status_code == 204
    assert api.get("/api/webhooks", user=customer).json == []
    assert_error(api.get(f"/api/webhooks/{created['id']}", user=customer), 404, "not_found")


def test_someone_elses_webhook_is_not_found_and_stays(
    api: Api, customer: User, stranger: User
) -> None:
    created = register(api, customer)
    for method, path in (
        ("GET", f"/api/webhooks/{created['id']}"),
        ("DELETE", f"/api/webhooks/{created['id']}"),
        ("GET", f"/api/webhooks/{created['id']}/deliveries"),
    ):
        assert_error(api.request(method, path, user=stranger), 404, "not_found")
    assert len(api.get("/api/webhooks", user=customer).json) == 1


def test_deliveries_are_a_page_of_what_was_sent(api: Api, customer: User) -> None:
    created = register(api, customer)
    api.order(customer)  # a server created, in the sandbox's fake cluster
    page = api.get(f"/api/webhooks/{created['id']}/deliveries", user=customer).json
    assert page["meta"]["pagination"]["total"] == 1
    [delivery] = page["data"]
    assert delivery["event"] == "server.created"
    assert delivery["status"] == "pending" and delivery["attempts"] == 0


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"url": "https://10.1.2.3/hook", "events": ["server.created"]}, 422, "url"),
        ({"url": "http://hooks.example.com/", "events": ["server.created"]}, 422, "url"),
        ({"url": URL, "events": []}, 400, "events"),
        ({"url": URL, "events": ["server.exploded"]}, 400, "events.0"),
        ({"url": URL, "events": ["server.created", "server.created"]}, 400, "events"),
        ({"url": URL}, 400, "events"),
        ({"url": "https://" + "a" * 2000 + ".example", "events": ["server.created"]}, 400, "url"),
        ({"url": URL, "events": ["server.created"], "secret": "mine"}, 400, "secret"),
    ],
)
def test_bad_registrations_are_refused_and_change_nothing(
    body: dict[str, Any], status: int, field: str
) -> None:
    api = Api(attrs.evolve(SETTINGS, webhooks_allow_private=False))
    customer = api.customer()
    before = api.state()
    result = api.post("/api/webhooks", user=customer, json=body)
    assert_error(result, status, "rule_violation" if status == 422 else "invalid", field)
    assert api.state() == before


def test_the_sandbox_takes_a_local_receiver(api: Api, customer: User) -> None:
    created = register(api, customer, url="http://127.0.0.1:9999/hook")
    assert created["url"] == "http://127.0.0.1:9999/hook"


def test_a_retried_registration_registers_once_and_does_not_show_the_secret_again(
    api: Api, customer: User
) -> None:
    body = {"url": URL, "events": ["server.created"]}
    headers = {"Idempotency-Key": "hook-1"}
    first = api.post("/api/webhooks", user=customer, json=body, headers=headers)
    again = api.post("/api/webhooks", user=customer, json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json["id"] == first.json["id"] and again.json["secret"] is None
    assert len(api.get("/api/webhooks", user=customer).json) == 1


def test_at_most_ten_webhooks(api: Api, customer: User) -> None:
    for _ in range(MAX_WEBHOOKS_PER_CUSTOMER):
        register(api, customer)
    assert_error(
        api.post("/api/webhooks", user=customer, json={"url": URL, "events": ["server.created"]}),
        409,
        "conflict",
    )


def test_webhooks_need_a_login(api: Api) -> None:
    assert api.get("/api/webhooks").status_code == 401
