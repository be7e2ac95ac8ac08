"""Health, readiness, the OpenAPI document, and what every response carries."""

from __future__ import annotations

import re
from typing import Any

import pytest
from api_support import Api, User, assert_error
from jsonschema import Draft202012Validator

from domain.model.errors import Unavailable
from entrypoints.http.app import OUTSIDE_THE_DOCUMENT

METHODS = ("get", "post", "put", "delete", "patch")
# Refused by the HTTP server in front of the app, before it runs: documented, but not as JSON.
ANSWERED_BY_THE_SERVER = {"414", "431"}


def test_healthz(api: Api) -> None:
    result = api.get("/healthz")

    assert result.status_code == 200 and result.json == {"status": "ok"}


def test_readyz_when_every_dependency_answers(api: Api) -> None:
    result = Api(ready_checks={"hypervisor": lambda: None}).get("/readyz")

    assert result.status_code == 200
    assert result.json == {"status": "ready", "checks": {"store": "ok", "hypervisor": "ok"}}
    assert "Retry-After" not in result.headers


@pytest.mark.parametrize(
    "failure", [Unavailable("pve-msk-1 does not answer"), ConnectionRefusedError(111, "refused")]
)
def test_readyz_with_a_failing_dependency_is_503_with_retry_after(failure: Exception) -> None:
    def check() -> None:
        raise failure

    result = Api(ready_checks={"hypervisor": check}).get("/readyz")

    assert result.status_code == 503
    assert result.json["status"] == "not ready"
    assert result.json["checks"]["store"] == "ok"
    assert result.json["checks"]["hypervisor"].startswith("failing")
    assert int(result.headers["Retry-After"]) > 0


@pytest.mark.parametrize(
    ("failure", "retry_after"),
    [
        (Unavailable("the database is unreachable", retry_after=2), "2"),  # what the store knows
        (Unavailable("pve-msk-1 does not answer"), "5"),  # nothing known: a few seconds
        (Unavailable("a long way off", retry_after=600), "5"),  # never long: outages are short
    ],
)
def test_a_503_says_to_retry_within_seconds(failure: Exception, retry_after: str) -> None:
    def check() -> None:
        raise failure

    result = Api(ready_checks={"dependency": check}).get("/readyz")

    assert result.status_code == 503
    assert result.headers["Retry-After"] == retry_after


def test_a_503_from_a_route_says_to_retry_within_seconds(api: Api, customer: User) -> None:
    server = api.running_server(customer)
    guest = api.hypervisor.guest(server["proxmoxId"])
    assert guest is not None
    api.hypervisor.set_node_online(guest.node, False)

    result = api.get(f"/api/server/{server['id']}/snapshots", user=customer)

    assert_error(result, 503, "unavailable")
    assert 1 <= int(result.headers["Retry-After"]) <= 5
    assert "retry_after" not in result.json["details"]


# --- what every response carries ------------------------------------------------------------------


def test_an_unknown_route_is_404_in_the_error_shape(api: Api) -> None:
    assert_error(api.get("/api/nothing-here"), 404, "not_found")


def test_a_wrong_method_is_405_in_the_error_shape(api: Api) -> None:
    result = api.delete("/api/tariffs")

    assert_error(result, 405, "method_not_allowed")
    assert "GET" in result.headers["Allow"]


def test_a_trailing_slash_is_the_same_route(api: Api) -> None:
    assert api.get("/api/tariffs/").json == api.get("/api/tariffs").json


def test_a_sane_request_id_is_echoed_and_another_is_replaced(api: Api) -> None:
    assert (
        api.get("/healthz", headers={"X-Request-Id": "abc-123.x_y"}).headers["X-Request-Id"]
        == "abc-123.x_y"
    )
    for bad in ("has space", "x" * 101, "ünï", "<script>"):
        given = api.get("/healthz", headers={"X-Request-Id": bad}).headers["X-Request-Id"]
        assert given != bad and re.fullmatch(r"[0-9a-f]{32}", given)
    first, second = api.get("/healthz"), api.get("/healthz")
    assert first.headers["X-Request-Id"] != second.headers["X-Request-Id"]


def test_a_500_carries_its_request_id_and_no_trace(api: Api) -> None:
    class Broken:
        auth = "public"

        def on_get(self, req: object, resp: object) -> None:
            raise RuntimeError("secret internals")

    api.app.add_route("/broken", Broken())

    result = api.get("/broken", headers={"X-Request-Id": "trace-me"})

    body = assert_error(result, 500, "internal_error")
    assert body["details"] == {"requestId": "trace-me"}
    assert "secret internals" not in result.text and "Traceback" not in result.text
    assert result.headers["X-RateLimit-Limit"] and result.headers["X-Request-Id"] == "trace-me"


def test_a_readiness_check_that_raises_anything_is_503_without_internals() -> None:
    # Regression: a check raising something other than a domain or OS error made /readyz a 500.
    def broken() -> None:
        raise RuntimeError("secret internals")

    app = Api(ready_checks={"broken": broken})

    result = app.get("/readyz")

    assert result.status_code == 503 and result.headers["Retry-After"]
    assert result.json["checks"]["broken"] == "failing: RuntimeError"
    assert "secret internals" not in result.text


# --- the OpenAPI document -------------------------------------------------------------------------


def _app_routes(api: Api) -> set[tuple[str, str]]:
    """(path template, method) for every responder the Falcon router holds."""
    found: set[tuple[str, str]] = set()

    def walk(nodes: list[Any]) -> None:
        for node in nodes:
            for method, responder in (node.method_map or {}).items():
                if getattr(responder, "__name__", "").startswith("on_"):
                    found.add((re.sub(r"{(\w+):int}", r"{\1}", node.uri_template), method.lower()))
            walk(node.children)

    walk(api.app._router._roots)
    return found


@pytest.fixture
def document(api: Api) -> dict[str, Any]:
    result = api.get("/api/openapi.json")
    assert result.status_code == 200
    return result.json  # type: ignore[no-any-return]


def test_the_document_is_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"] == "3.1.0"
    assert document["info"]["title"] and document["info"]["version"]
    assert set(document["components"]["securitySchemes"]) == {"bearer", "session"}
    operation_ids = []
    for path, item in document["paths"].items():
        assert path.startswith("/")
        declared = set(re.findall(r"{(\w+)}", path))
        assert item, path
        for method, operation in item.items():
            assert method in METHODS
            operation_ids.append(operation["operationId"])
            assert operation["summary"] and operation["tags"]
            codes = set(operation["responses"])
            assert any(c.startswith("2") for c in codes), (path, method)
            in_path = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert in_path == declared, (path, method)
            for parameter in operation.get("parameters", []):
                Draft202012Validator.check_schema(parameter["schema"])
            for code, response in operation["responses"].items():
                assert response["description"]
                schema = response.get("content", {}).get("application/json", {}).get("schema")
                if schema is not None:
                    Draft202012Validator.check_schema(schema)
                if not code.startswith("2") and code not in ANSWERED_BY_THE_SERVER:
                    assert schema is not None and schema["required"] == ["error", "code", "details"]
            if "requestBody" in operation:
                Draft202012Validator.check_schema(
                    operation["requestBody"]["content"]["application/json"]["schema"]
                )
                assert {"400", "413", "415"} <= codes
            assert "429" in codes
            for scheme in operation["security"]:
                assert set(scheme) <= {"bearer", "session"}
    assert len(operation_ids) == len(set(operation_ids))


def test_every_route_of_the_app_is_documented_and_nothing_else(
    api: Api, document: dict[str, Any]
) -> None:
    documented = {(path, method) for path, item in document["paths"].items() for method in item}

    served = {(path, method) for path, method in _app_routes(api)}
    assert documented == {r for r in served if r[0] not in OUTSIDE_THE_DOCUMENT}
    assert {path for path, _ in served} >= OUTSIDE_THE_DOCUMENT
    assert ("/api/openapi.json", "get") in documented


def test_posts_that_create_or_charge_document_the_idempotency_key(document: dict[str, Any]) -> None:
    takes_key = {
        (path, method)
        for path, item in document["paths"].items()
        for method, op in item.items()
        if any(p["name"] == "Idempotency-Key" for p in op.get("parameters", []))
    }

    assert takes_key == {
        ("/api/server/create", "post"),
        ("/create_machine", "post"),
        ("/api/promocodes/redeem", "post"),
        ("/api/webhooks", "post"),  # a retried registration must not register twice
        ("/api/admin/customers/{customer_id}/credit", "post"),
        ("/api/admin/customers/{customer_id}/debit", "post"),
        # Not a POST, but each replacement of the rule set starts an action: a retry must not.
        ("/api/server/{server_id}/firewall", "put"),
    }


def _valid(schema: dict[str, Any]) -> Any:
    """Some value the schema accepts (enough for the fields our request schemas require)."""
    if "examples" in schema:
        return schema["examples"][0]
    if "enum" in schema:
        return schema["enum"][0]
    if "oneOf" in schema:
        return _valid(schema["oneOf"][0])
    kind = schema["type"] if isinstance(schema["type"], str) else schema["type"][0]
    return {
        "integer": schema.get("minimum", 1),
        "string": "a" * max(3, schema.get("minLength", 0)),
        "boolean": True,
        "array": [],
        "null": None,
    }[kind]


# Read by the catalogue's own reader, which lists every problem at once with its place in the
# document (a schema validator stops at the first); tests/http/test_admin_reads.py covers it.
READ_WHOLE = {("/api/admin/catalogue", "put")}


def _documented_bodies(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any], bool]]:
    bodies = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if "requestBody" in operation and (path, method) not in READ_WHOLE:
                schema = operation["requestBody"]["content"]["application/json"]["schema"]
                admin_only = path.startswith(("/api/admin", "/api/sandbox"))
                bodies.append((path, method, schema, admin_only))
    return bodies


def test_every_documented_request_body_is_the_schema_that_validates(
    api: Api, document: dict[str, Any], customer: User
) -> None:
    """Each property the document names is checked by the route (a JSON object fits none of them),
    and nothing it does not name is accepted: the document and the validator are one schema."""
    bodies = _documented_bodies(document)
    assert len(bodies) == 27  # + two-factor enable, disable and recovery-codes
    before = api.state()
    for path, method, schema, admin_only in bodies:
        url = re.sub(r"{\w+}", "1", path)
        user = api.admin if admin_only else customer
        required = {name: _valid(schema["properties"][name]) for name in schema["required"]}
        for name in schema["properties"]:
            result = api.request(
                method.upper(),
                url,
                user=user,
                json={**required, name: {"x": 1}},
                headers={"Idempotency-Key": "doc"},
            )
            assert_error(result, 400, "invalid", name)
        result = api.request(
            method.upper(),
            url,
            user=user,
            json={**required, "undocumented": 1},
            headers={"Idempotency-Key": "doc"},
        )
        assert_error(result, 400, "invalid", "undocumented")
        for name in schema["required"]:
            partial = {k: v for k, v in required.items() if k != name}
            result = api.request(
                method.upper(), url, user=user, json=partial, headers={"Idempotency-Key": "doc"}
            )
            assert_error(result, 400, "invalid", name)
    assert api.state() == before
