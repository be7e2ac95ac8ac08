"""Two-factor login (issue 17, item 1): TOTP codes from an authenticator app, recovery codes, and
what a login needs once it is on. The "app" is pyotp under freezegun: it computes its codes from
the (frozen) wall clock, the API checks them against its own clock, as two devices would."""

from __future__ import annotations

import base64
import datetime as dt
import urllib.parse

import pyotp
import pytest
from api_support import PASSWORD, START, Api, User, assert_error
from freezegun import freeze_time

STEP = 30


def app_code(secret: str, moment: dt.datetime) -> str:
    """What an authenticator app shows at `moment`."""
    with freeze_time(moment):
        return pyotp.TOTP(secret).now()


def set_up(api: Api, user: User) -> str:
    result = api.post("/api/auth/2fa/setup", user=user)
    assert result.status_code == 200, result.text
    return str(result.json["secret"])


def enable(api: Api, user: User) -> tuple[str, list[str]]:
    """Two-factor on for `user` at the API's current time: the secret and the recovery codes."""
    secret = set_up(api, user)
    result = api.post(
        "/api/auth/2fa/enable", user=user, json={"code": app_code(secret, api.clock.now())}
    )
    assert result.status_code == 200, result.text
    return secret, result.json["recoveryCodes"]


def login(api: Api, user: User, totp: str | None = None, address: str = "203.0.113.5"):  # type: ignore[no-untyped-def]
    body = {"email": user.email, "password": PASSWORD}
    if totp is not None:
        body["totp"] = totp
    return api.request("POST", "/api/auth/login", json=body, remote_addr=address)


def test_setup_gives_a_secret_its_otpauth_uri_and_a_qr_code_and_keeps_it_sealed(
    api: Api, customer: User
) -> None:
    result = api.post("/api/auth/2fa/setup", user=customer)

    assert result.status_code == 200, result.text
    secret, uri, qr = result.json["secret"], result.json["otpauthUri"], result.json["qrCode"]
    parsed = urllib.parse.urlparse(uri)
    query = urllib.parse.parse_qs(parsed.query)
    assert (parsed.scheme, parsed.netloc) == ("otpauth", "totp")
    assert query["secret"] == [secret] and query["issuer"] == ["Oxnack"]
    assert urllib.parse.unquote(parsed.path) == f"/Oxnack:{customer.email}"
    assert len(base64.b32decode(secret)) == 20  # 160 bits
    png = base64.b64decode(qr.removeprefix("data:image/png;base64,"))
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert result.headers["Cache-Control"] == "no-store"
    stored = api.store.tables["second_factors"][customer.id]
    assert secret not in stored.sealed_secret and not stored.enabled
    assert api.rt.secret_box.open(stored.sealed_secret) == secret
    # Until it is enabled it changes nothing: the password alone still logs in.
    assert login(api, customer).status_code == 200


def test_enabling_returns_ten_single_use_recovery_codes_stored_as_digests(
    api: Api, customer: User
) -> None:
    _, codes = enable(api, customer)

    assert len(codes) == len(set(codes)) == 10
    assert all(len(c) == 14 and c.count("-") == 2 for c in codes)
    stored = api.store.tables["second_factors"][customer.id]
    assert stored.enabled and len(stored.recovery_digests) == 10
    assert not any(c.replace("-", "") in d for c in codes for d in stored.recovery_digests)


def test_a_login_then_needs_the_code_and_says_so_only_after_the_password(
    api: Api, customer: User
) -> None:
    secret, _ = enable(api, customer)
    api.clock.advance(STEP)
    tokens = len(api.store.tables["tokens"])

    asked = login(api, customer)
    wrong_password = api.post(
        "/api/auth/login", json={"email": customer.email, "password": "not the password"}
    )

    assert_error(asked, 401, "totp_required")
    assert "session" not in asked.cookies  # the cookie login follows the same rule
    assert_error(wrong_password, 401, "unauthenticated")
    assert len(api.store.tables["tokens"]) == tokens
    done = login(api, customer, app_code(secret, api.clock.now()))
    assert done.status_code == 200, done.text
    assert "session" in done.cookies
    assert (
        api.get(
            "/api/auth/me", headers={"Authorization": f"Bearer {done.json['access_token']}"}
        ).status_code
        == 200
    )


@pytest.mark.parametrize(
    ("app_offset", "accepted"),
    [
        (-STEP, True),  # the previous step, from its first second
        (-STEP - 1, False),  # two steps back
        (0, True),
        (STEP, True),  # the next step
        (2 * STEP - 0.001, True),  # the last instant of the next step
        (2 * STEP, False),  # two steps ahead
    ],
)
def test_a_code_is_valid_one_step_either_side_and_no_further(
    api: Api, customer: User, app_offset: float, accepted: bool
) -> None:
    secret, _ = enable(api, customer)
    moment = START + dt.timedelta(minutes=10)  # on a step boundary, well after enabling
    api.clock.set(moment)

    result = login(api, customer, app_code(secret, moment + dt.timedelta(seconds=app_offset)))

    if accepted:
        assert result.status_code == 200, result.text
    else:
        assert_error(result, 401, "totp_invalid")


def test_a_code_is_accepted_once_and_an_earlier_step_is_refused_after_a_later_one(
    api: Api, customer: User
) -> None:
    secret, _ = enable(api, customer)
    api.clock.advance(10 * STEP)
    now = api.clock.now()
    code = app_code(secret, now)

    assert login(api, customer, code).status_code == 200
    assert_error(login(api, customer, code), 401, "totp_invalid")  # replayed
    earlier = app_code(secret, now - dt.timedelta(seconds=STEP))
    assert_error(login(api, customer, earlier), 401, "totp_invalid")
    api.clock.advance(STEP)
    assert login(api, customer, app_code(secret, api.clock.now())).status_code == 200


def test_the_code_that_enabled_two_factor_cannot_log_in(api: Api, customer: User) -> None:
    secret = set_up(api, customer)
    code = app_code(secret, api.clock.now())
    assert api.post("/api/auth/2fa/enable", user=customer, json={"code": code}).status_code == 200

    assert_error(login(api, customer, code), 401, "totp_invalid")


def test_a_recovery_code_stands_in_for_the_app_once(api: Api, customer: User) -> None:
    _, codes = enable(api, customer)

    first = login(api, customer, codes[0].upper().replace("-", " "))  # as a person types it
    again = login(api, customer, codes[0])

    assert first.status_code == 200, first.text
    assert_error(again, 401, "totp_invalid")
    assert login(api, customer, codes[1]).status_code == 200
    assert len(api.store.tables["second_factors"][customer.id].recovery_digests) == 8
    assert "two_factor.recovery_code_used" in [r.action for r in api.audit()]


def test_disabling_needs_a_current_code(api: Api, customer: User) -> None:
    secret, _ = enable(api, customer)
    api.clock.advance(STEP)
    before = api.state()

    wrong = api.post("/api/auth/2fa/disable", user=customer, json={"code": "000000"})
    missing = api.post("/api/auth/2fa/disable", user=customer, json={})

    assert_error(wrong, 422, "rule_violation", "code")
    assert_error(missing, 400, "invalid", "code")
    assert api.state() == before
    code = app_code(secret, api.clock.now())
    done = api.post("/api/auth/2fa/disable", user=customer, json={"code": code})
    assert done.status_code == 204, done.text
    assert customer.id not in api.store.tables["second_factors"]
    assert login(api, customer).status_code == 200
    assert_error(
        api.post("/api/auth/2fa/disable", user=customer, json={"code": code}), 409, "invalid_state"
    )


def test_enable_refuses_a_wrong_code_and_setup_is_refused_while_on(
    api: Api, customer: User
) -> None:
    assert_error(
        api.post("/api/auth/2fa/enable", user=customer, json={"code": "123456"}),
        409,
        "invalid_state",
    )
    secret = set_up(api, customer)
    wrong = app_code(secret, api.clock.now() + dt.timedelta(minutes=5))
    assert_error(
        api.post("/api/auth/2fa/enable", user=customer, json={"code": wrong}),
        422,
        "rule_violation",
        "code",
    )
    assert not api.store.tables["second_factors"][customer.id].enabled
    assert login(api, customer).status_code == 200
    api.post(
        "/api/auth/2fa/enable", user=customer, json={"code": app_code(secret, api.clock.now())}
    )
    assert_error(api.post("/api/auth/2fa/setup", user=customer), 409, "invalid_state")


def test_wrong_codes_are_throttled_per_account_from_every_address(api: Api, customer: User) -> None:
    secret, _ = enable(api, customer)
    api.clock.advance(STEP)
    for n in range(10):  # each from an address of its own: the per-address limits never bite
        assert_error(login(api, customer, "000000", address=f"198.51.100.{n}"), 401, "totp_invalid")

    right = app_code(secret, api.clock.now())
    throttled = login(api, customer, right, address="203.0.113.77")

    body = assert_error(throttled, 429, "rate_limited")
    assert 1 <= body["details"]["retryAfter"] <= 900
    api.clock.advance(15 * 60)
    assert login(api, customer, app_code(secret, api.clock.now())).status_code == 200


def test_a_wrong_code_counts_as_a_failed_login_from_that_address(api: Api, customer: User) -> None:
    enable(api, customer)
    api.clock.advance(STEP)
    pair = f"login:pair:{customer.email}|198.51.100.9"

    login(api, customer, "000000", address="198.51.100.9")

    assert api.rt.counters.peek(pair, api.clock.now()).hits == 1


def test_the_status_shows_off_pending_on_and_the_recovery_codes_left(
    api: Api, customer: User
) -> None:
    def status() -> dict[str, object]:
        result = api.get("/api/auth/2fa", user=customer)
        assert result.status_code == 200, result.text
        return dict(result.json)

    off = {"enabled": False, "pending": False, "enabledAt": None, "recoveryCodesLeft": 0}
    assert status() == off
    set_up(api, customer)
    assert status() == {**off, "pending": True}
    _, codes = enable(api, customer)
    on = {"enabled": True, "pending": False, "enabledAt": "2026-01-15T10:00:00Z"}
    assert status() == {**on, "recoveryCodesLeft": 10}
    login(api, customer, codes[0])
    assert status() == {**on, "recoveryCodesLeft": 9}


def test_new_recovery_codes_need_a_current_app_code_and_retire_the_old_ones(
    api: Api, customer: User
) -> None:
    secret, old = enable(api, customer)
    api.clock.advance(STEP)
    code = app_code(secret, api.clock.now())

    by_recovery = api.post("/api/auth/2fa/recovery-codes", user=customer, json={"code": old[0]})
    renewed = api.post("/api/auth/2fa/recovery-codes", user=customer, json={"code": code})
    replayed = api.post("/api/auth/2fa/recovery-codes", user=customer, json={"code": code})

    assert_error(by_recovery, 422, "rule_violation", "code")
    assert renewed.status_code == 200, renewed.text
    new = renewed.json["recoveryCodes"]
    assert len(set(new)) == 10 and not set(new) & set(old)
    assert_error(replayed, 422, "rule_violation", "code")
    assert_error(login(api, customer, old[1]), 401, "totp_invalid")
    assert login(api, customer, new[0]).status_code == 200
