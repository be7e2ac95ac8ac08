"""What every answer tells a browser or a proxy: never sniff the type, never store a secret; and
what an error tells a customer about other customers' networks: nothing."""

from __future__ import annotations

import re
from typing import Any

from api_support import Api, User, assert_error

ADDRESS = re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?:/\d{1,2})?")


def assert_private(result: Any) -> None:
    assert result.headers.get("Cache-Control") == "no-store", (result.status, result.headers)
    assert result.headers.get("X-Content-Type-Options") == "nosniff"


def test_every_answer_that_shows_a_secret_is_never_stored(api: Api, customer: User) -> None:
    server = api.running_server(customer)
    key = {"Idempotency-Key": "order-once"}
    order = {"osId": 1, "tariffId": 1}

    answers = {
        "login": api.post(
            "/api/auth/login", json={"email": customer.email, "password": "correct horse battery"}
        ),
        "token": api.post("/api/tokens", user=customer, json={"name": "ci"}),
        "order": api.post("/api/server/create", user=customer, json=order, headers=key),
        "order replayed": api.post("/api/server/create", user=customer, json=order, headers=key),
        "password": api.post(f"/api/server/{server['id']}/password", user=customer),
        "console": api.post(
            "/api/server/console", user=customer, json={"vmid": server["proxmoxId"]}
        ),
    }

    for name, result in answers.items():
        assert result.status_code < 300, (name, result.text)
        assert_private(result)
    assert answers["login"].json["access_token"] and answers["token"].json["token"]
    assert answers["order"].json["rootPassword"] and answers["password"].json["password"]


def test_every_answer_says_nosniff_errors_and_refusals_included(customer: User) -> None:
    api = Api(requests_per_minute=6)
    answers = [
        api.get("/api/locations"),  # public
        api.get("/api/auth/me"),  # 401
        api.get("/no/such/route"),  # 404 from the router
        api.request("PATCH", "/api/locations"),  # 405
        api.raw("POST", "/api/auth/register", "{not json"),  # 400
        api.raw("POST", "/api/auth/register", "{}", content_type="text/plain"),  # 415
        api.get("/api/openapi.json"),
    ]
    answers += [api.get("/api/locations") for _ in range(3)]  # the last is 429

    assert answers[-1].status_code == 429
    assert {a.status_code for a in answers} >= {200, 400, 401, 404, 405, 415, 429}
    for result in answers:
        assert_private(result)


def test_a_firewall_refusal_names_no_network_but_the_one_the_customer_sent(
    api: Api, customer: User, stranger: User
) -> None:
    server = api.running_server(customer)
    theirs = api.running_server(stranger)
    their_network = theirs["ipAddress"].rsplit(".", 1)[0] + ".0/24"

    for source in (their_network, theirs["ipAddress"], "10.0.0.0/8", "0.0.0.0/1"):
        result = api.put(
            f"/api/server/{server['id']}/firewall",
            user=customer,
            json={"rules": [{"protocol": "tcp", "fromPort": 22, "source": source}]},
        )

        error = assert_error(result, 422, "rule_violation", "rules.0.source")
        shown = error["error"] + repr(error["details"])
        assert "other customers" in shown
        assert set(ADDRESS.findall(shown)) <= {source, source + "/32"}, shown
