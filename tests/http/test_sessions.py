"""Cookie sessions: the cookie's attributes, and the CSRF header unsafe cookie requests need."""

from __future__ import annotations

import pytest
from api_support import PASSWORD, Api, Result, User, assert_error


def _login(api: Api, email: str) -> Result:
    result = api.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert result.status_code == 200
    return result


@pytest.fixture
def session(api: Api, customer: User) -> tuple[str, str]:
    """(session cookie, CSRF token) of a fresh cookie login."""
    result = _login(api, customer.email)
    return result.cookies["session"].value, result.json["csrf_token"]


def test_the_session_cookie_is_httponly_secure_and_samesite_lax(api: Api, customer: User) -> None:
    result = _login(api, customer.email)

    cookie = result.cookies["session"]
    assert cookie.value == result.json["access_token"]
    assert cookie.http_only is True and cookie.secure is True
    assert cookie.same_site == "Lax" and cookie.path == "/"
    assert cookie.max_age == 12 * 3600
    csrf = result.cookies["csrf_token"]
    assert csrf.value == result.json["csrf_token"]
    assert csrf.http_only is False  # the page's script reads it to send the header
    assert csrf.secure is True and csrf.same_site == "Lax"


def test_a_cookie_authenticates_a_get(api: Api, customer: User, session: tuple[str, str]) -> None:
    result = api.get("/api/auth/me", cookies={"session": session[0]})

    assert result.status_code == 200 and result.json["id"] == customer.id


@pytest.mark.parametrize("sent", [None, "", "0" * 40, "wrong"])
def test_an_unsafe_cookie_request_without_the_right_csrf_header_is_403(
    api: Api, customer: User, session: tuple[str, str], sent: str | None
) -> None:
    cookie, _ = session
    server = api.running_server(customer)
    headers = {"X-CSRF-Token": sent} if sent is not None else {}
    before = api.state()

    for method, path, body in (
        ("POST", f"/api/server/{server['id']}/stop", None),
        ("POST", "/api/server/create", {"osId": 1, "tariffId": 1}),
        ("DELETE", f"/api/server/{server['id']}", None),
        ("PUT", f"/api/server/{server['id']}/resize", {"cores": 2}),
        ("POST", "/api/auth/logout", None),
    ):
        result = api.request(method, path, json=body, cookies={"session": cookie}, headers=headers)
        assert_error(result, 403, "csrf_failed")
    assert api.state() == before


def test_another_sessions_csrf_token_does_not_do(
    api: Api, customer: User, session: tuple[str, str]
) -> None:
    other = _login(api, customer.email).json["csrf_token"]
    server = api.running_server(customer)

    result = api.post(
        f"/api/server/{server['id']}/stop",
        cookies={"session": session[0]},
        headers={"X-CSRF-Token": other},
    )

    assert_error(result, 403, "csrf_failed")
    assert api.server(customer, server["id"])["status"] == "running"


def test_an_unsafe_cookie_request_with_the_csrf_header_succeeds(
    api: Api, customer: User, session: tuple[str, str]
) -> None:
    cookie, csrf = session
    server = api.running_server(customer)

    result = api.post(
        f"/api/server/{server['id']}/stop",
        cookies={"session": cookie},
        headers={"X-CSRF-Token": csrf},
    )

    assert result.status_code == 202
    assert api.server(customer, server["id"])["status"] == "stopped"


def test_bearer_requests_need_no_csrf_header(api: Api, customer: User) -> None:
    server = api.running_server(customer)

    assert api.post(f"/api/server/{server['id']}/stop", user=customer).status_code == 202


def test_a_bearer_header_wins_over_a_cookie(
    api: Api, customer: User, stranger: User, session: tuple[str, str]
) -> None:
    result = api.get("/api/auth/me", user=stranger, cookies={"session": session[0]})

    assert result.json["id"] == stranger.id


def test_an_invalid_cookie_is_401(api: Api) -> None:
    assert_error(api.get("/api/auth/me", cookies={"session": "hp_forged"}), 401, "unauthenticated")
    assert_error(
        api.post(
            "/api/auth/logout", cookies={"session": "hp_forged"}, headers={"X-CSRF-Token": "x"}
        ),
        401,
        "unauthenticated",
    )


def test_a_public_route_ignores_the_cookie_and_needs_no_csrf(
    api: Api, customer: User, session: tuple[str, str]
) -> None:
    result = api.post(
        "/api/auth/login",
        json={"email": customer.email, "password": PASSWORD},
        cookies={"session": session[0]},
    )

    assert result.status_code == 200


def test_logout_with_the_cookie_kills_the_session_and_clears_the_cookies(
    api: Api, customer: User, session: tuple[str, str]
) -> None:
    cookie, csrf = session

    result = api.post(
        "/api/auth/logout", cookies={"session": cookie}, headers={"X-CSRF-Token": csrf}
    )

    assert result.status_code == 204
    assert result.cookies["session"].value == "" and result.cookies["csrf_token"].value == ""
    assert_error(api.get("/api/auth/me", cookies={"session": cookie}), 401, "unauthenticated")
    assert_error(
        api.get("/api/auth/me", headers={"Authorization": f"Bearer {cookie}"}),
        401,
        "unauthenticated",
    )
    assert api.get("/api/auth/me", user=customer).status_code == 200  # other sessions live on
