"""Two-factor login and scoped tokens answer alike on the memory store and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pyotp
import pytest
from api_support import PASSWORD, Api, User, api_on, assert_error


@pytest.fixture(scope="module", params=["memory", "postgres"])
def api(request: pytest.FixtureRequest) -> Iterator[Api]:
    yield from api_on(request.param)


def _login(api: Api, user: User, totp: str | None = None):  # type: ignore[no-untyped-def]
    body = {"email": user.email, "password": PASSWORD}
    if totp is not None:
        body["totp"] = totp
    return api.post("/api/auth/login", json=body)


def _code(secret: str, api: Api, seconds: int = 0) -> str:
    return str(pyotp.TOTP(secret).at(api.clock.now() + dt.timedelta(seconds=seconds)))


def test_two_factor_from_setup_to_disable(api: Api) -> None:
    customer = api.customer(balance=None)
    setup = api.post("/api/auth/2fa/setup", user=customer)
    assert setup.status_code == 200, setup.text
    secret = setup.json["secret"]
    enabled = api.post("/api/auth/2fa/enable", user=customer, json={"code": _code(secret, api)})
    assert enabled.status_code == 200, enabled.text
    recovery = enabled.json["recoveryCodes"]
    api.clock.advance(30)

    assert_error(_login(api, customer), 401, "totp_required")
    assert_error(_login(api, customer, _code(secret, api, -60)), 401, "totp_invalid")
    code = _code(secret, api)
    assert _login(api, customer, code).status_code == 200
    assert_error(_login(api, customer, code), 401, "totp_invalid")
    assert _login(api, customer, recovery[3]).status_code == 200
    assert_error(_login(api, customer, recovery[3]), 401, "totp_invalid")
    assert_error(
        api.post("/api/auth/2fa/disable", user=customer, json={"code": code}),
        422,
        "rule_violation",
    )
    api.clock.advance(30)
    disabled = api.post("/api/auth/2fa/disable", user=customer, json={"code": _code(secret, api)})
    assert disabled.status_code == 204, disabled.text
    assert _login(api, customer).status_code == 200


def test_a_scoped_token_on_either_store(api: Api) -> None:
    customer = api.customer(balance=None)
    made = api.post(
        "/api/tokens", user=customer, json={"name": "monitor", "scopes": ["servers:read"]}
    )
    assert made.status_code == 201 and made.json["scopes"] == ["servers:read"]
    monitor = User(customer.id, customer.email, made.json["token"], "")

    # Past the scope check and into the use case (a database starts with no catalogue, so no
    # server list: an action that is not there says as much).
    assert_error(api.get("/api/actions/999999", user=monitor), 404, "not_found")
    refused = api.get("/api/balance", user=monitor)
    assert assert_error(refused, 403, "insufficient_scope")["details"]["scope"] == "billing:read"
    listed = api.get("/api/tokens", user=customer).json["data"]
    assert [(t["name"], t["scopes"]) for t in listed] == [("monitor", ["servers:read"])]
