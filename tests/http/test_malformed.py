"""A sweep of malformed bodies over every route that takes one: always a 4xx in the error shape,
never a 5xx, and never a change.

One back office serves the whole module (every request here is refused, and each test checks that it
changed nothing), so that the sweep stays fast.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from api_support import PASSWORD, Api, User, assert_error


@attrs.frozen
class Route:
    method: str
    path: str
    good: dict[str, Any]
    who: str | None = "customer"  # None, "customer" or "admin"
    int_field: str | None = None  # a field that takes an integer
    text_field: str | None = None  # a field that takes text
    ident_field: str | None = None  # text that names something: no invisible characters in it

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"


ROUTES = [
    Route(
        "POST",
        "/api/auth/register",
        {"email": "new@example.com", "password": PASSWORD},
        None,
        text_field="password",
        ident_field="email",
    ),
    Route(
        "POST",
        "/api/auth/login",
        {"email": "customer1@example.com", "password": PASSWORD},
        None,
        text_field="password",
        ident_field="email",
    ),
    Route(
        "POST",
        "/api/auth/password",
        {"currentPassword": PASSWORD, "newPassword": "another good passphrase"},
        text_field="newPassword",
    ),
    Route(
        "POST",
        "/api/auth/password-reset",
        {"email": "customer1@example.com"},
        None,
        ident_field="email",
    ),
    Route(
        "POST",
        "/api/auth/password-reset/confirm",
        {"token": "hp_not-a-link", "password": "another good passphrase"},
        None,
        text_field="password",
    ),
    Route(
        "POST",
        "/api/tokens",
        {"name": "ci", "expiresInDays": 30},
        int_field="expiresInDays",
        text_field="name",
    ),
    Route(
        "POST",
        "/api/quote",
        {"osId": 1, "tariffId": 1},
        int_field="osId",
        text_field="promoCode",
        ident_field="promoCode",
    ),
    Route(
        "POST",
        "/calc_price",
        {"osId": 1, "tariffId": 1},
        int_field="tariffId",
        text_field="promoCode",
        ident_field="promoCode",
    ),
    Route(
        "POST",
        "/api/server/create",
        {"osId": 1, "tariffId": 1},
        int_field="osId",
        text_field="name",
        ident_field="name",
    ),
    Route(
        "POST",
        "/create_machine",
        {"osId": 1, "locationId": 1, "cores": 1, "memory": 1024, "disk": 20},
        int_field="disk",
        text_field="name",
        ident_field="name",
    ),
    Route("POST", "/api/server/console", {"vmid": "{vmid}"}, int_field="vmid"),
    Route("PUT", "/api/server/{sid}/resize", {"cores": 2}, int_field="cores"),
    Route(
        "POST",
        "/api/server/{sid}/snapshots",
        {"snapname": "fresh"},
        text_field="description",
        ident_field="snapname",
    ),
    Route(
        "DELETE",
        "/api/server/{sid}/snapshots",
        {"snapname": "kept"},
        text_field="snapname",
        ident_field="snapname",
    ),
    Route(
        "POST",
        "/api/server/{sid}/snapshots/rollback",
        {"snapname": "kept"},
        text_field="snapname",
        ident_field="snapname",
    ),
    Route(
        "PUT",
        "/api/server/{sid}/firewall",
        {"rules": [{"protocol": "tcp", "fromPort": 22, "description": "ssh"}]},
    ),
    Route(
        "POST", "/api/promocodes/redeem", {"code": "GIFT"}, text_field="code", ident_field="code"
    ),
    Route(
        "POST",
        "/api/admin/customers/{cid}/credit",
        {"amount": "1.00", "reason": "sweep"},
        "admin",
        text_field="reason",
    ),
    Route(
        "POST",
        "/api/admin/customers/{cid}/debit",
        {"amount": "1.00", "reason": "sweep"},
        "admin",
        text_field="reason",
    ),
    Route(
        "POST",
        "/api/admin/promocodes",
        {"code": "SWEEP", "kind": "percent", "percent": 10},
        "admin",
        int_field="percent",
        text_field="code",
        ident_field="code",
    ),
    Route(
        "PUT",
        "/api/admin/catalogue",
        tomllib.loads(
            (Path(__file__).parents[2] / "deploy" / "catalogue.example.toml").read_text("utf-8")
        ),
        "admin",
        text_field="currency",
    ),
    Route(
        "PUT",
        "/api/admin/promocodes/{pid}",
        {"code": "GIFT", "kind": "bonus", "amount": "5.00"},
        "admin",
        int_field="maxUses",
        text_field="code",
        ident_field="code",
    ),
]


def _dump(body: Any) -> str:
    return json.dumps(body, ensure_ascii=True)


def _with(good: dict[str, Any], field: str, raw_value: str) -> str:
    """The good body with `field` set to a raw JSON value (which json.dumps could not produce)."""
    rest = _dump({k: v for k, v in good.items() if k != field})
    return rest[:-1] + (", " if len(rest) > 2 else "") + f'"{field}": {raw_value}' + "}"


def _malformations(route: Route) -> Iterator[tuple[str, str | bytes, str]]:
    """(name, body, content type); every one of them must be refused with a 4xx."""
    good = route.good
    number = route.int_field or next(iter(good))
    text = route.text_field or next(iter(good))
    yield "malformed json", _dump(good)[:-3], "application/json"
    yield "trailing garbage", _dump(good) + " x", "application/json"
    yield "array", _dump([good]), "application/json"
    yield "string", '"hello"', "application/json"
    yield "null", "null", "application/json"
    yield "number", "42", "application/json"
    yield "empty", "", "application/json"
    yield "blank", "  \n ", "application/json"
    yield "unknown field", _dump({**good, "isAdmin": True}), "application/json"
    yield "wrong type (object)", _dump({**good, number: {"value": 1}}), "application/json"
    if route.int_field:
        yield "wrong type (string for number)", _dump({**good, number: "1"}), "application/json"
    if route.text_field:
        yield "wrong type (number for text)", _dump({**good, text: 12345}), "application/json"
    yield "wrong type (bool)", _dump({**good, number: True}), "application/json"
    yield "wrong type (list)", _dump({**good, text: ["a"]}), "application/json"
    yield "huge integer", _dump({**good, number: 10**30}), "application/json"
    yield "huge integer, 5000 digits", _with(good, number, "9" * 5000), "application/json"
    yield "negative", _dump({**good, number: -5}), "application/json"
    yield (
        "zero",
        _dump({**good, number: 0}) if route.int_field else _dump({**good, text: 0}),
        "application/json",
    )
    yield "float", _dump({**good, number: 1.5}), "application/json"
    yield "NaN", _with(good, number, "NaN"), "application/json"
    yield "Infinity", _with(good, number, "Infinity"), "application/json"
    yield "-Infinity", _with(good, number, "-Infinity"), "application/json"
    yield "1e400", _with(good, number, "1e400"), "application/json"
    yield "lone surrogate", _with(good, text, '"ab\\ud800cd"'), "application/json"
    yield "lone low surrogate", _with(good, text, '"\\udfff"'), "application/json"
    yield "lone surrogate in a key", _with(good, "\\ud800", "1"), "application/json"
    yield "lone surrogate in a nested key", _with(good, text, '{"\\udbff": 1}'), "application/json"
    if route.ident_field:
        yield "NUL", _with(good, route.ident_field, '"a\\u0000b"'), "application/json"
        yield (
            "zero-width space",
            _dump({**good, route.ident_field: "ab\u200bcd@example.com"}),
            "application/json",
        )
        yield (
            "right-to-left mark",
            _dump({**good, route.ident_field: "ab\u200fcd@example.com"}),
            "application/json",
        )
        yield (
            "right-to-left override",
            _dump({**good, route.ident_field: "\u202eabc@example.com"}),
            "application/json",
        )
    yield "invalid utf-8", _dump(good).encode()[:-1] + b' , "x": "\xff\xfe"}', "application/json"
    # A surrogate encoded as UTF-8 bytes (ED A0 80): Python's JSON reader lets it through as text.
    raw_surrogate = (
        _dump({**good, text: "SURROGATE"}).encode().replace(b"SURROGATE", b"\xed\xa0\x80")
    )
    yield "surrogate as raw bytes", raw_surrogate, "application/json"
    yield "deep nesting", "[" * 50_000, "application/json"
    yield "deep nesting in a field", _with(good, text, "[" * 2000 + "]" * 2000), "application/json"
    yield "text/plain", _dump(good), "text/plain"
    yield "form", "osId=1&tariffId=1", "application/x-www-form-urlencoded"
    yield "no content type", _dump(good), ""
    yield "json lookalike type", _dump(good), "application/jsonx"


CASES = [
    (route, name, body, kind) for route in ROUTES for name, body, kind in _malformations(route)
]


World = tuple[Api, dict[str, User], dict[str, int]]


def _world(**app_options: Any) -> World:
    api = Api(**app_options)
    customer = api.customer()
    server = api.running_server(customer)
    api.post(f"/api/server/{server['id']}/snapshots", user=customer, json={"snapname": "kept"})
    gift = api.post(
        "/api/admin/promocodes",
        user=api.admin,
        json={"code": "GIFT", "kind": "bonus", "amount": "5.00"},
    ).json
    users = {"customer": customer, "admin": api.admin}
    return (
        api,
        users,
        {"sid": server["id"], "cid": customer.id, "pid": gift["id"], "vmid": server["proxmoxId"]},
    )


@pytest.fixture(scope="module")
def world() -> World:
    return _world(requests_per_minute=100_000)


def _url(route: Route, ids: dict[str, int]) -> str:
    return route.path.format(**ids)


def _body(body: str | bytes, ids: dict[str, int]) -> str | bytes:
    return body.replace('"{vmid}"', str(ids["vmid"])) if isinstance(body, str) else body


@pytest.mark.parametrize(
    ("route", "name", "body", "content_type"), CASES, ids=[f"{r.id} | {n}" for r, n, _, _ in CASES]
)
def test_a_malformed_body_is_a_clear_4xx_and_changes_nothing(
    world: World, route: Route, name: str, body: str | bytes, content_type: str
) -> None:
    api, users, ids = world
    user = users[route.who] if route.who else None
    headers = {"Content-Type": content_type} if content_type else {}
    before = api.state()

    result = api.request(
        route.method,
        _url(route, ids),
        user=user,
        body=_body(body, ids),
        headers={**headers, "Idempotency-Key": "sweep"},
    )

    assert 400 <= result.status_code < 500, (result.status, result.text)
    if content_type != "application/json" and body.strip():
        assert_error(result, 415, "unsupported_media_type")
    else:
        error = assert_error(result, result.status_code, result.json["code"])
        assert error["code"] in ("invalid", "malformed_json"), error
        assert result.status_code == 400
    assert api.state() == before


@pytest.mark.parametrize("route", ROUTES, ids=[r.id for r in ROUTES])
def test_the_good_bodies_of_the_sweep_get_past_parsing(route: Route) -> None:
    """The sweep's bodies differ from good ones only by what is wrong: the good ones are read and
    validated (whatever the use case then says), with a charset in the media type too."""
    api, users, ids = _world()
    user = users[route.who] if route.who else None

    result = api.request(
        route.method,
        _url(route, ids),
        user=user,
        body=_body(_dump(route.good), ids),
        headers={"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": "good"},
    )

    assert result.status_code < 300 or result.json["code"] not in ("invalid", "malformed_json"), (
        result.text
    )
    assert result.status_code != 415


# --- size -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("route", ROUTES, ids=[r.id for r in ROUTES])
def test_a_body_over_the_limit_is_413(route: Route) -> None:
    api = Api(max_body_bytes=256)
    users = {"customer": api.customer(), "admin": api.admin}
    user = users[route.who] if route.who else None
    ids = {"sid": 1, "cid": 1, "pid": 1, "vmid": 100}
    padded = {**route.good, (route.text_field or "padding"): "x" * 300}
    before = api.state()

    result = api.request(
        route.method,
        _url(route, ids),
        user=user,
        body=_body(_dump(padded), ids),
        headers={"Content-Type": "application/json", "Idempotency-Key": "big"},
    )

    body = assert_error(result, 413, "payload_too_large")
    assert body["details"] == {"limit": 256}
    assert api.state() == before


def test_a_body_just_under_the_limit_is_read() -> None:
    api = Api(max_body_bytes=256)
    body = _dump(
        {
            "email": "e" * 60 + "@" + "d" * 60 + "." + "x" * 60 + ".com",
            "password": PASSWORD + "!" * 20,
        }
    )
    assert 240 < len(body) <= 256

    result = api.raw("POST", "/api/auth/register", body)

    assert result.status_code == 201
