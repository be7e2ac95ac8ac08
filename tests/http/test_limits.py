"""The general rate limit per client address, with its headers (login throttles: test_logins.py)."""

from __future__ import annotations

import pytest
from api_support import Api, assert_error

LIMIT_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")


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


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit() -> None:
    api = Api(requests_per_minute=2, trusted_proxies=("10.0.0.0/8",))

    def get(client: str, peer: str = "10.0.0.2") -> int:
        headers = {"X-Forwarded-For": f"{client}, 10.0.0.9"}
        return api.request("GET", "/healthz", headers=headers, remote_addr=peer).status_code

    assert [get("203.0.113.1") for _ in range(3)] == [200, 200, 429]
    assert get("203.0.113.2") == 200  # another client behind the same proxy
    # A client cannot pick a fresh key by lying on the left of the header.
    assert get("198.51.100.1, 203.0.113.1") == 429


def test_an_untrusted_peer_is_limited_by_its_own_address_whatever_it_forwards() -> None:
    api = Api(requests_per_minute=2, trusted_proxies=("10.0.0.0/8",))

    def get(forwarded: str) -> int:
        headers = {"X-Forwarded-For": forwarded}
        return api.request(
            "GET", "/healthz", headers=headers, remote_addr="198.51.100.5"
        ).status_code

    assert [get(f"203.0.113.{n}") for n in range(3)] == [200, 200, 429]
