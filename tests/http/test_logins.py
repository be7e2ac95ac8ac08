"""The login throttles (issue 10, item 4): by address, by (account, address), and a slow path for
an account under a sustained attack. Nobody can lock a user out, and guessing stays slow."""

from __future__ import annotations

from api_support import PASSWORD, Api, assert_error

WRONG = "wrong password!"
ATTACKER = "198.51.100.7"
OWNER = "203.0.113.9"


def _login(api: Api, email: str, password: str = WRONG, address: str = ATTACKER) -> int:
    result = api.request(
        "POST", "/api/auth/login", json={"email": email, "password": password}, remote_addr=address
    )
    return result.status_code


def test_ten_wrong_passwords_from_one_address_stop_that_address_only(api: Api) -> None:
    email = api.register()["email"]
    assert [_login(api, email) for _ in range(10)] == [401] * 10

    result = api.request(
        "POST", "/api/auth/login", json={"email": email, "password": WRONG}, remote_addr=ATTACKER
    )

    body = assert_error(result, 429, "rate_limited")
    retry = int(result.headers["Retry-After"])
    assert 1 <= retry <= 900 and body["details"]["retryAfter"] == retry
    assert _login(api, email, PASSWORD, address=ATTACKER) == 429  # even with the password
    assert _login(api, email.upper(), address=ATTACKER) == 429  # however the e-mail is spelled
    # The owner, from anywhere else, logs in: someone else's failures never lock them out.
    assert _login(api, email, PASSWORD, address=OWNER) == 200


def test_the_pair_throttle_ends_with_its_window(api: Api) -> None:
    email = api.register()["email"]
    for _ in range(10):
        _login(api, email)
    assert _login(api, email) == 429

    api.clock.advance(15 * 60)

    assert _login(api, email, PASSWORD) == 200


def test_successful_logins_do_not_count_towards_the_throttle(api: Api) -> None:
    email = api.register()["email"]
    assert [_login(api, email, PASSWORD) for _ in range(15)] == [200] * 15


def test_a_success_forgives_the_failures_before_it(api: Api) -> None:
    email = api.register()["email"]
    assert [_login(api, email) for _ in range(9)] == [401] * 9
    assert _login(api, email, PASSWORD) == 200

    assert [_login(api, email) for _ in range(10)] == [401] * 10


def test_many_failed_logins_from_one_address_are_throttled(api: Api) -> None:
    assert [_login(api, f"guess{n}@example.com") for n in range(50)] == [401] * 50

    assert_error(
        api.request(
            "POST",
            "/api/auth/login",
            json={"email": "guess51@example.com", "password": "x"},
            remote_addr=ATTACKER,
        ),
        429,
        "rate_limited",
    )
    assert _login(api, "guess52@example.com", address="198.51.100.8") == 401  # another address


def test_a_throttled_login_issues_no_session(api: Api) -> None:
    email = api.register()["email"]
    for _ in range(10):
        _login(api, email)
    tokens = api.state()["tokens"]

    assert _login(api, email, PASSWORD) == 429
    assert api.state()["tokens"] == tokens


def _attack(api: Api, email: str, addresses: int = 10) -> None:
    """A hundred failures on one account from ten addresses: a sustained, distributed attack."""
    for n in range(addresses):
        statuses = [_login(api, email, address=f"192.0.2.{n + 1}") for _ in range(10)]
        assert statuses == [401] * 10


def test_under_a_sustained_attack_a_known_address_logs_in_as_usual(api: Api) -> None:
    email = api.register()["email"]
    assert _login(api, email, PASSWORD, address=OWNER) == 200  # the owner's usual address
    _attack(api, email)

    assert [_login(api, email, PASSWORD, address=OWNER) for _ in range(3)] == [200] * 3


def test_under_a_sustained_attack_new_addresses_take_the_slow_path_never_a_lock(api: Api) -> None:
    email = api.register()["email"]
    _attack(api, email)

    # One attempt from a new address goes through (the owner's, with the right password) ...
    assert _login(api, email, PASSWORD, address="203.0.113.20") == 200
    # ... the next new address waits for the slow path's interval ...
    result = api.request(
        "POST",
        "/api/auth/login",
        json={"email": email, "password": PASSWORD},
        remote_addr="203.0.113.21",
    )
    assert_error(result, 429, "rate_limited")
    wait = int(result.headers["Retry-After"])
    assert 1 <= wait <= 60
    # ... and gets its turn when the interval is over: slower, not locked.
    api.clock.advance(wait)
    assert _login(api, email, PASSWORD, address="203.0.113.21") == 200


def test_the_slow_path_interval_doubles_as_the_attack_goes_on(api: Api) -> None:
    email = api.register()["email"]
    _attack(api, email)
    for n in range(10):  # ten more failures, each from a new address after its one second
        assert _login(api, email, address=f"203.0.113.{100 + n}") == 401
        api.clock.advance(1)
    assert _login(api, email, address="203.0.113.200") == 401  # 110 failures: the gate opens

    result = api.request(
        "POST", "/api/auth/login", json={"email": email, "password": WRONG}, remote_addr=OWNER
    )

    assert_error(result, 429, "rate_limited")
    assert int(result.headers["Retry-After"]) == 2


def test_the_attack_ends_with_its_window(api: Api) -> None:
    email = api.register()["email"]
    _attack(api, email)
    _login(api, email, address="203.0.113.40")

    api.clock.advance(15 * 60)

    assert [_login(api, email, PASSWORD, address=f"203.0.113.{n}") for n in (41, 42)] == [200] * 2


# --- registration (item 6) ------------------------------------------------------------------------


def _sign_up(api: Api, n: int, address: str = ATTACKER) -> int:
    body = {"email": f"signup{n}@example.com", "password": PASSWORD}
    return api.request("POST", "/api/auth/register", json=body, remote_addr=address).status_code


def test_sign_ups_are_throttled_per_address(api: Api) -> None:
    assert [_sign_up(api, n) for n in range(10)] == [201] * 10
    accounts = len(api.state()["accounts"])

    result = api.request(
        "POST",
        "/api/auth/register",
        json={"email": "one-too-many@example.com", "password": PASSWORD},
        remote_addr=ATTACKER,
    )

    assert_error(result, 429, "rate_limited")
    assert 1 <= int(result.headers["Retry-After"]) <= 3600
    assert len(api.state()["accounts"]) == accounts
    assert _sign_up(api, 99, address=OWNER) == 201  # another address
    api.clock.advance(3600)
    assert _sign_up(api, 100) == 201
