"""GET and PUT /api/server/{id}/firewall: a server's inbound rules, replaced whole by an action."""

from __future__ import annotations

from typing import Any

import pytest
from api_support import Api, User, assert_error

from adapters.memory import FakeNetworkFabric

DEFAULT = [
    {"protocol": "tcp", "fromPort": 22, "toPort": 22, "source": "0.0.0.0/0", "description": "ssh"},
    {"protocol": "tcp", "fromPort": 80, "toPort": 80, "source": "0.0.0.0/0", "description": "http"},
    {
        "protocol": "tcp",
        "fromPort": 443,
        "toPort": 443,
        "source": "0.0.0.0/0",
        "description": "https",
    },
]
OWN = [
    {"protocol": "tcp", "fromPort": 22, "source": "203.0.113.0/24", "description": "ssh"},
    {"protocol": "udp", "fromPort": 60000, "toPort": 61000},
    {"protocol": "icmp"},
]
OWN_AS_SHOWN = [
    {
        "protocol": "tcp",
        "fromPort": 22,
        "toPort": 22,
        "source": "203.0.113.0/24",
        "description": "ssh",
    },
    {
        "protocol": "udp",
        "fromPort": 60000,
        "toPort": 61000,
        "source": "0.0.0.0/0",
        "description": "",
    },
    {
        "protocol": "icmp",
        "fromPort": None,
        "toPort": None,
        "source": "0.0.0.0/0",
        "description": "",
    },
]


def path(server: dict[str, Any]) -> str:
    return f"/api/server/{server['id']}/firewall"


def fabric(api: Api) -> FakeNetworkFabric:
    return api.fabric


def on_the_firewall(api: Api, server: dict[str, Any]) -> tuple[Any, Any]:
    """The server's rules as staged and as live, with the location's pending flag."""
    loc = server["locationId"]
    staged = fabric(api).state(loc)
    return (staged.rules.get(server["id"]), staged.pending_changes), fabric(api).live_state(
        loc
    ).rules.get(server["id"])


def everything(api: Api, server: dict[str, Any]) -> tuple[Any, ...]:
    return api.state(), on_the_firewall(api, server)


@pytest.fixture
def server(api: Api, customer: User) -> dict[str, Any]:
    return api.running_server(customer)


def test_a_new_server_shows_the_default_rules_applied(
    api: Api, customer: User, server: dict[str, Any]
) -> None:
    result = api.get(path(server), user=customer)

    assert result.status_code == 200
    assert result.json == {"rules": DEFAULT, "applied": True, "default": True}


def test_replacing_the_rules(api: Api, customer: User, server: dict[str, Any]) -> None:
    result = api.put(path(server), user=customer, json={"rules": OWN})

    assert result.status_code == 202
    body = result.json
    assert (body["action"], body["rules"]) == ("firewall", OWN_AS_SHOWN)
    assert isinstance(body["taskId"], int)
    action = api.get(f"/api/actions/{body['taskId']}", user=customer).json
    assert (action["command"], action["status"], action["error"]) == (
        "change_firewall",
        "success",
        None,
    )
    shown = api.get(path(server), user=customer).json
    assert shown == {"rules": OWN_AS_SHOWN, "applied": True, "default": False}
    (staged, pending), live = on_the_firewall(api, server)
    assert staged == live and not pending
    assert [(r.protocol, r.port_from, r.port_to, r.source) for r in live] == [
        ("tcp", 22, 22, "203.0.113.0/24"),
        ("udp", 60000, 61000, "0.0.0.0/0"),
        ("icmp", None, None, "0.0.0.0/0"),
    ]


def test_the_rules_read_can_be_edited_and_sent_back(
    api: Api, customer: User, server: dict[str, Any]
) -> None:
    api.put(path(server), user=customer, json={"rules": OWN})
    rules = api.get(path(server), user=customer).json["rules"]  # icmp's ports come back as null

    rules[0]["source"] = "198.51.100.0/24"
    result = api.put(path(server), user=customer, json={"rules": rules})

    assert result.status_code == 202, result.text
    assert api.get(path(server), user=customer).json["rules"] == rules


def test_an_empty_list_closes_every_port(api: Api, customer: User, server: dict[str, Any]) -> None:
    assert api.put(path(server), user=customer, json={"rules": []}).status_code == 202

    assert api.get(path(server), user=customer).json == {
        "rules": [],
        "applied": True,
        "default": False,
    }
    assert on_the_firewall(api, server) == (((), False), ())


def test_while_the_action_runs_the_rules_show_as_not_applied(
    api: Api, customer: User, server: dict[str, Any]
) -> None:
    api.jobs.auto_run = False

    result = api.put(path(server), user=customer, json={"rules": OWN})

    assert result.status_code == 202 and result.json["status"] == "running"
    assert api.get(path(server), user=customer).json == {
        "rules": OWN_AS_SHOWN,
        "applied": False,
        "default": False,
    }
    api.jobs.run_pending()
    assert api.get(path(server), user=customer).json["applied"] is True


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "rules"),
        ({"rules": {"protocol": "tcp"}}, "rules"),
        ({"rules": "tcp/22"}, "rules"),
        ({"rules": None}, "rules"),
        ({"rules": [], "policy": "drop"}, "policy"),
        ({"rules": ["tcp/22"]}, "rules.0"),
        ({"rules": [{}]}, "rules.0.protocol"),
        ({"rules": [{"protocol": "gre"}]}, "rules.0.protocol"),
        ({"rules": [{"protocol": "tcp", "port": 22}]}, "rules.0.port"),
        ({"rules": [{"protocol": "tcp", "fromPort": "22"}]}, "rules.0.fromPort"),
        ({"rules": [{"protocol": "tcp", "fromPort": 22.5}]}, "rules.0.fromPort"),
        ({"rules": [{"protocol": "tcp", "fromPort": True}]}, "rules.0.fromPort"),
        ({"rules": [{"protocol": "tcp", "fromPort": 0}]}, "rules.0.fromPort"),
        ({"rules": [{"protocol": "tcp", "fromPort": 65536}]}, "rules.0.fromPort"),
        ({"rules": [{"protocol": "udp", "fromPort": 1, "toPort": 10**30}]}, "rules.0.toPort"),
        ({"rules": [{"protocol": "tcp", "fromPort": 22, "source": 24}]}, "rules.0.source"),
        ({"rules": [{"protocol": "tcp", "fromPort": 22, "source": ""}]}, "rules.0.source"),
        (
            {"rules": [{"protocol": "tcp", "fromPort": 1, "description": "x" * 101}]},
            "rules.0.description",
        ),
    ],
)
def test_a_malformed_body_is_400_naming_the_field_and_changes_nothing(
    api: Api, customer: User, server: dict[str, Any], body: dict[str, Any], field: str
) -> None:
    before = everything(api, server)

    result = api.put(path(server), user=customer, json=body)

    error = assert_error(result, 400, "invalid", field)
    assert error["details"]["field"] in error["error"]
    assert everything(api, server) == before


# 400: not a rule as the document describes one; 422: described so, and at odds with itself or
# with another rule.
@pytest.mark.parametrize(
    ("rules", "status", "field", "says"),
    [
        ([{"protocol": "icmp", "fromPort": 8}], 400, "rules.0.fromPort", "icmp"),
        ([{"protocol": "udp"}], 400, "rules.0.fromPort", "required"),
        (
            [{"protocol": "tcp", "fromPort": 22, "source": "203.0.113.0/33"}],
            400,
            "rules.0.source",
            "CIDR",
        ),
        (
            [{"protocol": "tcp", "fromPort": 22, "source": "2001:db8::/32"}],
            400,
            "rules.0.source",
            "IPv4",
        ),
        (
            [{"protocol": "tcp", "fromPort": 22, "description": "a\u0000b"}],
            400,
            "rules.0.description",
            "control",
        ),
        ([{"protocol": "tcp", "fromPort": 8100, "toPort": 8000}], 422, "rules.0.toPort", "below"),
        (
            [{"protocol": "tcp", "fromPort": 22, "source": "203.0.113.9/24"}],
            422,
            "rules.0.source",
            "host bits",
        ),
        (
            [{"protocol": "icmp"}, {"protocol": "icmp", "description": "ping"}],
            422,
            "rules.1",
            "repeats",
        ),
    ],
)
def test_a_rule_that_cannot_be_is_refused_with_a_clear_reason(
    api: Api,
    customer: User,
    server: dict[str, Any],
    rules: list[Any],
    status: int,
    field: str,
    says: str,
) -> None:
    before = everything(api, server)

    error = assert_error(
        api.put(path(server), user=customer, json={"rules": rules}),
        status,
        "invalid" if status == 400 else "rule_violation",
        field,
    )

    assert says in error["error"]
    assert everything(api, server) == before


def test_too_many_rules_is_400(api: Api, customer: User, server: dict[str, Any]) -> None:
    rules = [{"protocol": "tcp", "fromPort": port} for port in range(2000, 2051)]
    before = everything(api, server)

    error = assert_error(
        api.put(path(server), user=customer, json={"rules": rules}), 400, "invalid", "rules"
    )

    assert "at most 50" in error["error"]
    assert everything(api, server) == before
    assert api.put(path(server), user=customer, json={"rules": rules[:50]}).status_code == 202


def test_no_rule_may_open_the_server_to_other_customers_networks(
    api: Api, customer: User, stranger: User, server: dict[str, Any]
) -> None:
    theirs = api.running_server(stranger)
    their_network = theirs["ipAddress"].rsplit(".", 1)[0] + ".0/24"
    before = everything(api, server)

    for source in (their_network, theirs["ipAddress"], "10.0.0.0/8"):
        error = assert_error(
            api.put(
                path(server),
                user=customer,
                json={"rules": [{"protocol": "tcp", "fromPort": 22, "source": source}]},
            ),
            422,
            "rule_violation",
            "rules.0.source",
        )
        assert "other customers" in error["error"]
    assert everything(api, server) == before


def test_someone_elses_server_is_404_whatever_the_method(
    api: Api, customer: User, stranger: User, server: dict[str, Any]
) -> None:
    api.running_server(stranger)
    before = everything(api, server)

    for user, server_id in ((stranger, server["id"]), (customer, 999_999)):
        url = f"/api/server/{server_id}/firewall"
        assert_error(api.get(url, user=user), 404, "not_found")
        assert_error(api.put(url, user=user, json={"rules": OWN}), 404, "not_found")
        assert_error(api.put(url, user=user, json={"rules": [{"protocol": "x"}]}), 400, "invalid")
    assert everything(api, server) == before


def test_a_login_is_needed(api: Api, server: dict[str, Any]) -> None:
    assert_error(api.get(path(server)), 401, "unauthenticated")
    assert_error(api.put(path(server), json={"rules": OWN}), 401, "unauthenticated")


def test_a_busy_server_is_409_locked(api: Api, customer: User, server: dict[str, Any]) -> None:
    api.jobs.auto_run = False
    api.post(f"/api/server/{server['id']}/restart", user=customer)
    before = everything(api, server)

    assert_error(api.put(path(server), user=customer, json={"rules": OWN}), 409, "locked")
    assert everything(api, server) == before


def test_a_failed_server_is_409_invalid_state(api: Api, customer: User) -> None:
    api.hypervisor.fail_next("create")
    failed = api.order(customer)
    assert api.server(customer, failed["id"])["status"] == "failed"
    shown = api.get(path(failed), user=customer).json
    assert (shown["applied"], shown["default"]) == (False, True)
    before = api.state()

    error = assert_error(
        api.put(path(failed), user=customer, json={"rules": OWN}), 409, "invalid_state"
    )

    assert error["details"] == {"state": "failed", "attempted": "change firewall"}
    assert api.state() == before


@pytest.mark.parametrize("operation", ["ensure_rules", "apply"])
def test_a_firewall_failure_fails_the_action_and_keeps_the_rules_in_force(
    api: Api, customer: User, server: dict[str, Any], operation: str
) -> None:
    fabric(api).fail_next(operation, message="pfSense said no")
    before = on_the_firewall(api, server)

    result = api.put(path(server), user=customer, json={"rules": OWN})

    assert result.status_code == 202
    action = api.get(f"/api/actions/{result.json['taskId']}", user=customer).json
    assert action["status"] == "error"
    assert action["error"]["code"] == "external_failure"
    assert "pfSense said no" in action["error"]["message"]
    assert api.get(path(server), user=customer).json == {
        "rules": DEFAULT,
        "applied": True,
        "default": True,
    }
    assert on_the_firewall(api, server) == before
    # Nothing stays locked: the customer may simply try again.
    assert api.put(path(server), user=customer, json={"rules": OWN}).status_code == 202
    assert api.get(path(server), user=customer).json["rules"] == OWN_AS_SHOWN


def test_a_retry_with_the_same_idempotency_key_is_replayed(
    api: Api, customer: User, server: dict[str, Any]
) -> None:
    key = {"Idempotency-Key": "fw-1"}
    first = api.put(path(server), user=customer, json={"rules": OWN}, headers=key)
    after_first = everything(api, server)

    again = api.put(path(server), user=customer, json={"rules": OWN}, headers=key)

    assert first.status_code == again.status_code == 202
    assert again.json == first.json
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert everything(api, server) == after_first
    actions = api.get(f"/api/server/{server['id']}/actions?perPage=100", user=customer).json["data"]
    assert [a["command"] for a in actions].count("change_firewall") == 1
    other = api.put(path(server), user=customer, json={"rules": []}, headers=key)
    assert_error(other, 409, "idempotency_key_reused")


def test_a_refused_request_frees_its_idempotency_key(
    api: Api, customer: User, server: dict[str, Any]
) -> None:
    key = {"Idempotency-Key": "fw-2"}
    bad = [{"protocol": "tcp", "fromPort": 22, "source": "10.11.0.0/24"}]
    assert_error(
        api.put(path(server), user=customer, json={"rules": bad}, headers=key),
        422,
        "rule_violation",
    )

    assert api.put(path(server), user=customer, json={"rules": OWN}, headers=key).status_code == 202


def test_the_route_is_in_the_openapi_document(api: Api) -> None:
    document = api.get("/api/openapi.json").json
    item = document["paths"]["/api/server/{server_id}/firewall"]

    assert set(item) == {"get", "put"}
    body = item["put"]["requestBody"]["content"]["application/json"]["schema"]
    rule = body["properties"]["rules"]["items"]
    assert set(rule["properties"]) == {"protocol", "fromPort", "toPort", "source", "description"}
    assert rule["properties"]["protocol"]["enum"] == ["tcp", "udp", "icmp"]
    assert {"202", "400", "404", "409"} <= set(item["put"]["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in item["put"]["parameters"])
