"""Scoped personal access tokens (issue 17, item 2): each operation needs one scope, declared
next to the route table; a token without it gets 403 `insufficient_scope` naming it; sessions and
tokens made before scopes keep full access."""

from __future__ import annotations

from typing import Any

import pytest
from api_support import Api, User, assert_error

from domain.model.scopes import Scope
from entrypoints.http.app import OUTSIDE_THE_DOCUMENT, _routes
from entrypoints.http.route_scopes import ROUTE_SCOPES, SCOPES
from entrypoints.http.scopes import PUBLIC, ReadWrite


def token(api: Api, user: User, *scopes: str, name: str = "script") -> User:
    body: dict[str, Any] = {"name": name}
    if scopes:
        body["scopes"] = list(scopes)
    result = api.post("/api/tokens", user=user, json=body)
    assert result.status_code == 201, result.text
    return User(user.id, user.email, result.json["token"], "")


def test_a_read_only_token_reads_servers_and_nothing_else(api: Api, customer: User) -> None:
    server = api.running_server(customer)
    monitor = token(api, customer, "servers:read")
    before = api.state()

    assert api.get("/api/server", user=monitor).status_code == 200
    assert api.get(f"/api/server/{server['id']}/status", user=monitor).status_code == 200
    stop = api.post(f"/api/server/{server['id']}/stop", user=monitor)
    balance = api.get("/api/balance", user=monitor)
    me = api.get("/api/auth/me", user=monitor)

    body = assert_error(stop, 403, "insufficient_scope")
    assert body["details"]["scope"] == "servers:write"
    assert stop.headers["WWW-Authenticate"] == (
        'Bearer realm="hostprovider", error="insufficient_scope", scope="servers:write"'
    )
    assert assert_error(balance, 403, "insufficient_scope")["details"]["scope"] == "billing:read"
    assert assert_error(me, 403, "insufficient_scope")["details"]["scope"] == "account"
    assert api.state() == before


def test_a_write_scope_includes_its_read_scope(api: Api, customer: User) -> None:
    server = api.running_server(customer)
    operator = token(api, customer, "servers:write")

    assert api.get(f"/api/server/{server['id']}", user=operator).status_code == 200
    assert api.post(f"/api/server/{server['id']}/stop", user=operator).status_code == 202
    assert_error(api.get("/api/transactions", user=operator), 403, "insufficient_scope")


def test_billing_scopes(api: Api, customer: User) -> None:
    reader = token(api, customer, "billing:read")

    assert api.get("/api/balance", user=reader).status_code == 200
    assert api.get("/get_balance", user=reader).status_code == 200
    redeem = api.post(
        "/api/promocodes/redeem",
        user=reader,
        json={"code": "WELCOME"},
        headers={"Idempotency-Key": "k1"},
    )
    assert assert_error(redeem, 403, "insufficient_scope")["details"]["scope"] == "billing:write"


def test_sessions_and_tokens_without_scopes_keep_full_access(api: Api, customer: User) -> None:
    full = token(api, customer)

    for user in (customer, full):
        assert api.get("/api/balance", user=user).status_code == 200
        assert api.get("/api/server", user=user).status_code == 200
        assert api.get("/api/auth/me", user=user).status_code == 200
    listed = api.get("/api/tokens", user=customer).json["data"]
    assert [t["scopes"] for t in listed] == [["*"]]


def test_a_token_never_makes_a_token_that_can_do_more(api: Api, customer: User) -> None:
    limited = token(api, customer, "account", "servers:read")

    wider = api.post("/api/tokens", user=limited, json={"name": "x", "scopes": ["billing:read"]})
    everything = api.post("/api/tokens", user=limited, json={"name": "x"})
    narrower = api.post("/api/tokens", user=limited, json={"name": "x", "scopes": ["servers:read"]})

    assert assert_error(wider, 403, "insufficient_scope")["details"]["scope"] == "billing:read"
    assert assert_error(everything, 403, "insufficient_scope")["details"]["scope"] == "*"
    assert narrower.status_code == 201 and narrower.json["scopes"] == ["servers:read"]
    no_account = token(api, customer, "servers:read")
    made = api.post("/api/tokens", user=no_account, json={"name": "y"})
    assert assert_error(made, 403, "insufficient_scope")["details"]["scope"] == "account"


@pytest.mark.parametrize(
    ("scopes", "status", "code", "field"),
    [
        (["servers:delete"], 400, "invalid", "scopes.0"),
        ([], 400, "invalid", "scopes"),
        (["servers:read", "servers:read"], 400, "invalid", "scopes"),
        (["*", "servers:read"], 422, "rule_violation", "scopes"),
        (["admin"], 422, "rule_violation", "scopes"),  # a customer's token cannot be an admin's
    ],
)
def test_bad_scope_lists_are_refused_and_make_nothing(
    api: Api, customer: User, scopes: list[str], status: int, code: str, field: str
) -> None:
    before = api.state()
    result = api.post("/api/tokens", user=customer, json={"name": "x", "scopes": scopes})
    assert_error(result, status, code, field)
    assert api.state() == before


def test_admin_routes_need_the_admin_role_and_the_admin_scope(api: Api, customer: User) -> None:
    admin_reader = token(api, api.admin, "servers:read", "billing:read")
    admin_token = token(api, api.admin, "admin")
    customer_full = token(api, customer)

    refused = api.get("/api/admin/customers", user=admin_reader)
    assert assert_error(refused, 403, "insufficient_scope")["details"]["scope"] == "admin"
    assert api.get("/api/admin/customers", user=admin_token).status_code == 200
    assert_error(api.get("/api/admin/customers", user=customer_full), 403, "forbidden")


def test_a_revoked_scoped_token_stops_working(api: Api, customer: User) -> None:
    monitor = token(api, customer, "servers:read")
    token_id = api.get("/api/tokens", user=customer).json["data"][0]["id"]

    assert api.delete(f"/api/tokens/{token_id}", user=customer).status_code == 204

    assert_error(api.get("/api/server", user=monitor), 401, "unauthenticated")


def test_every_route_has_exactly_one_scope_declared(api: Api) -> None:
    routes = [*_routes(api.rt, None), ("/api/openapi.json", None, None)]
    templates = {path for path, _, _ in routes}

    assert templates - set(ROUTE_SCOPES) == set(), "routes without a scope"
    assert set(ROUTE_SCOPES) - templates == set(), "scopes of routes that do not exist"
    for path, resource, _ in routes:
        declared = ROUTE_SCOPES[path]
        auth = getattr(resource, "auth", "public")
        assert (declared is PUBLIC) == (auth == "public"), path
        assert (declared == Scope.ADMIN) == (auth == "admin"), path
        assert declared != Scope.ALL, path
        if isinstance(declared, ReadWrite):
            assert declared.read != declared.write, path
    assert OUTSIDE_THE_DOCUMENT.isdisjoint(templates)


def test_the_document_lists_each_operations_scope(api: Api) -> None:
    document = api.get("/api/openapi.json").json
    listed = {}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            bearer = [r["bearer"] for r in operation["security"] if "bearer" in r]
            listed[(path, method)] = bearer[0] if bearer else None

    assert listed[("/api/server", "get")] == ["servers:read"]
    assert listed[("/api/server/{server_id}", "delete")] == ["servers:write"]
    assert listed[("/api/balance", "get")] == ["billing:read"]
    assert listed[("/api/tokens", "post")] == ["account"]
    assert listed[("/api/admin/audit", "get")] == ["admin"]
    assert listed[("/api/quote", "post")] == ["servers:read"]
    assert listed[("/api/locations", "get")] is None
    for (path, method), scopes in listed.items():
        template = next(t for t in ROUTE_SCOPES if t.replace(":int", "") == path)
        needed = SCOPES.needed(template, method)
        assert scopes == (None if needed is None else [needed.value]), (path, method)
        if needed is not None:
            assert "403" in document["paths"][path][method]["responses"]
