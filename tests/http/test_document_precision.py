"""The OpenAPI document says what the server enforces: a body the document calls valid is not
refused as malformed (400), and one the server refuses as malformed the document calls invalid too.
(tests/e2e/fuzz/ holds the live server to this with generated requests.)"""

from __future__ import annotations

from typing import Any

import pytest
from api_support import Api, User
from jsonschema import Draft202012Validator


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return Api().get("/api/openapi.json").json  # type: ignore[no-any-return]


def operation(document: dict[str, Any], path: str, method: str = "post") -> dict[str, Any]:
    return document["paths"][path][method]  # type: ignore[no-any-return]


def body_schema(document: dict[str, Any], path: str, method: str = "post") -> dict[str, Any]:
    found = operation(document, path, method)["requestBody"]["content"]["application/json"]
    return found["schema"]  # type: ignore[no-any-return]


def documented_valid(document: dict[str, Any], path: str, body: Any, method: str = "post") -> bool:
    return Draft202012Validator(body_schema(document, path, method)).is_valid(body)


@pytest.mark.parametrize(
    "path",
    ["/api/admin/customers/{customer_id}/credit", "/api/admin/customers/{customer_id}/debit"],
)
def test_a_balance_correction_documents_its_idempotency_key_as_required(
    document: dict[str, Any], path: str
) -> None:
    (key,) = [p for p in operation(document, path)["parameters"] if p["in"] == "header"]

    assert key["name"] == "Idempotency-Key" and key["required"] is True


def test_an_order_names_a_tariff_or_a_configuration_never_both_never_neither(
    document: dict[str, Any],
) -> None:
    config = {"locationId": 1, "cores": 1, "memory": 1024, "disk": 20}
    for path in ("/api/quote", "/api/server/create", "/calc_price", "/create_machine"):
        assert documented_valid(document, path, {"osId": 1, "tariffId": 1})
        assert documented_valid(document, path, {"osId": 1, "tariffId": 1, "locationId": 1})
        assert documented_valid(document, path, {"osId": 1, **config})
        assert not documented_valid(document, path, {"osId": 1, "tariffId": 1, "cores": 2})
        assert not documented_valid(document, path, {"osId": 1, "cores": 1, "memory": 1024})
        without_location = {k: v for k, v in config.items() if k != "locationId"}
        assert not documented_valid(document, path, {"osId": 1, **without_location})


def test_a_tcp_or_udp_rule_needs_its_port_and_an_icmp_rule_has_none(
    document: dict[str, Any],
) -> None:
    path, method = "/api/server/{server_id}/firewall", "put"

    def rule(**fields: Any) -> bool:
        return documented_valid(document, path, {"rules": [fields]}, method)

    assert rule(protocol="tcp", fromPort=22) and rule(protocol="udp", fromPort=53, toPort=54)
    assert rule(protocol="icmp") and rule(protocol="icmp", fromPort=None, toPort=None)
    assert not rule(protocol="tcp") and not rule(protocol="udp", fromPort=None)
    assert not rule(protocol="icmp", fromPort=8)
    assert not rule(protocol="tcp", fromPort=22, source="example.com")


def test_the_http_servers_own_refusals_are_documented_as_json(document: dict[str, Any]) -> None:
    for status in ("414", "431"):
        answer = operation(document, "/api/locations", "get")["responses"][status]
        assert "application/json" in answer["content"]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/quote", {"osId": 1, "tariffId": 1, "cores": 2}, "tariffId"),
        ("/api/quote", {"osId": 1, "cores": 1, "memory": 1024, "disk": 20}, "locationId"),
        ("/api/server/{sid}/firewall", {"rules": [{"protocol": "udp"}]}, "rules.0.fromPort"),
        ("/api/auth/register", {"email": "000", "password": "long enough"}, "email"),
        ("/api/auth/register", {"email": "ann@example.com", "password": "short"}, "password"),
        ("/api/tokens", {"name": " \u2003 "}, "name"),
    ],
)
def test_what_the_document_refuses_the_server_refuses_naming_the_same_field(
    api: Api, customer: User, document: dict[str, Any], path: str, body: Any, field: str
) -> None:
    method = "put" if path.endswith("firewall") else "post"
    documented = path.replace("{sid}", "{server_id}")

    result = api.request(method.upper(), path.replace("{sid}", "1"), user=customer, json=body)

    assert not documented_valid(document, documented, body, method)
    assert result.status_code == 400 and result.json["details"]["field"] == field, result.json
