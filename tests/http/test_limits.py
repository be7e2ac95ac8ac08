"""Login throttling per account and per address, and the general rate limit with its headers."""

from __future__ import annotations

import pytest
from api_support import PASSWORD, Api, assert_error

LIMIT_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")


def _login(
    api: Api, email: str, password: str = "wrong password!", address: str = "198.51.100.7"
) -> int:
    result = api.request(
        "POST", "/api/auth/login", json={"email": email, "password": password}, remote_addr=address
    )
    return result.status_code


def test_eleven_failed_logins_for_one_account_are_throttled(api: Api) -> None:
    email = api.register()["email"]
    assert [_login(api, email) for _ in range(10)] == [401] * 10

    result = api.request(
        "POST",
        "/api/auth/login",
        json={"email": email, "password": "wrong password!"},
        remote_addr="198.51.100.7",
    )

    body = assert_error(result, 429, "rate_limited")
    retry = int(result.headers["Retry-After"])
    assert 1 <= retry <= 900 and body["details"]["retryAfter"] == retry
    # Throttled whatever the password, from any address, and for the e-mail however it is spelled.
    assert _login(api, email, PASSWORD, address="203.0.113.9") == 429
    assert _login(api, email.upper(), PASSWORD, address="203.0.113.9") == 429
    # Other accounts are not.
    other = api.register()
    assert _login(api, other["email"], PASSWORD) == 200


def test_successful_logins_do_not_count_towards_the_throttle(api: Api) -> None:
    # Regression: every login counted, so a script logging in eleven times locked itself out.
    email = api.register()["email"]
    assert [_login(api, email, PASSWORD) for _ in range(15)] == [200] * 15


def test_many_logins_from_one_address_are_throttled(api: Api) -> None:
    statuses = [_login(api, f"guess{n}@example.com") for n in range(50)]
    assert statuses == [401] * 50

    result = api.request(
        "POST",
        "/api/auth/login",
        json={"email": "guess51@example.com", "password": "x"},
        remote_addr="198.51.100.7",
    )

    assert_error(result, 429, "rate_limited")
    assert int(result.headers["Retry-After"]) >= 1
    assert _login(api, "guess52@example.com", address="198.51.100.8") == 401  # another address


def test_a_throttled_login_issues_no_session(api: Api) -> None:
    email = api.register()["email"]
    for _ in range(10):
        _login(api, email)
    tokens = api.state()["tokens"]

    assert _login(api, email, PASSWORD) == 429
    assert api.state()["tokens"] == tokens


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/healthz", 200),
        ("GET", "/api/tariffs", 200),
        ("GET", "/api/auth/me", 401),
        ("GET", "/api/no-such-route", 404),
        ("DELETE", "/api/tariffs", 405),
        ("POST", "/api/quote", 400),
        ("GET", "/api/openapi.json", 200),
    ],
)
def test_rate_limit_headers_are_on_every_response(
    api: Api, method: str, path: str, expected: int
) -> None:
    result = api.request(method, path)

    assert result.status_code == expected
    for header in LIMIT_HEADERS:
        assert result.headers[header].isdigit(), (header, result.headers)
    assert result.headers["X-RateLimit-Limit"] == "600"
    assert result.headers["X-Request-Id"]


def test_rate_limit_headers_on_a_413_and_a_server_error() -> None:
    small = Api(max_body_bytes=16)

    big = small.raw("POST", "/api/auth/register", '{"email": "a@example.com", "password": "x"}')

    assert_error(big, 413, "payload_too_large")
    assert all(h in big.headers for h in LIMIT_HEADERS)


def test_the_remaining_count_goes_down() -> None:
    api = Api(requests_per_minute=5)

    remaining = [int(api.get("/healthz").headers["X-RateLimit-Remaining"]) for _ in range(3)]

    assert remaining == [4, 3, 2]


def test_the_general_limit_is_429_with_retry_after_per_address() -> None:
    api = Api(requests_per_minute=3)
    assert [api.get("/api/tariffs").status_code for _ in range(3)] == [200, 200, 200]

    result = api.get("/api/tariffs")

    body = assert_error(result, 429, "rate_limited")
    assert int(result.headers["Retry-After"]) >= 1 and body["details"]["retryAfter"] >= 1
    assert result.headers["X-RateLimit-Remaining"] == "0"
    assert api.request("GET", "/api/tariffs", remote_addr="203.0.113.50").status_code == 200


def test_the_general_limit_counts_refused_requests_too() -> None:
    api = Api(requests_per_minute=2)
    assert api.get("/api/auth/me").status_code == 401
    assert api.get("/nowhere").status_code == 404

    assert_error(api.get("/healthz"), 429, "rate_limited")


def test_a_rate_limited_write_changes_nothing() -> None:
    api = Api(requests_per_minute=7)
    customer = api.customer()  # four requests: register, login, the admin's login, the credit
    while api.get("/healthz").status_code == 200:
        pass
    before = api.state()

    result = api.post("/api/server/create", user=customer, json={"osId": 1, "tariffId": 1})

    assert_error(result, 429, "rate_limited")
    assert api.state() == before
