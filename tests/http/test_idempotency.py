"""Idempotency-Key on the POSTs that create or charge: replayed, refused when reused, and one
thing when raced."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections import Counter

import attrs
import pytest
from api_support import Api, User, assert_error

from ports.idempotency import IdempotencyRecord

ORDER = {"osId": 1, "tariffId": 1}


def _servers(api: Api, user: User) -> int:
    return len(api.get("/api/server", user=user).json)


@pytest.mark.parametrize("path", ["/api/server/create", "/create_machine"])
def test_a_retried_order_is_replayed_and_creates_one_server(
    api: Api, customer: User, path: str
) -> None:
    key = {"Idempotency-Key": "order-1"}

    first = api.post(path, user=customer, json=ORDER, headers=key)
    again = api.post(path, user=customer, json=ORDER, headers=key)

    assert first.status_code == again.status_code == 201
    # The same server; the one-time root password is not kept for replays (never stored in clear).
    assert first.json["rootPassword"]
    assert again.json == {**first.json, "rootPassword": None}
    with api.store.lock:
        assert first.json["rootPassword"] not in repr(api.store.tables)
    assert (
        again.headers["Idempotent-Replayed"] == "true"
        and "Idempotent-Replayed" not in first.headers
    )
    assert again.headers["Content-Type"].startswith("application/json")
    assert _servers(api, customer) == 1
    assert len(api.hypervisor.guests_all()) == 1
    assert api.balance(customer) == "999.050000"


def test_the_same_key_with_another_body_is_409(api: Api, customer: User) -> None:
    api.post("/api/server/create", user=customer, json=ORDER, headers={"Idempotency-Key": "k"})
    before = api.state()

    result = api.post(
        "/api/server/create",
        user=customer,
        json={"osId": 2, "tariffId": 1},
        headers={"Idempotency-Key": "k"},
    )

    assert_error(result, 409, "idempotency_key_reused")
    assert api.state() == before


def test_the_same_key_on_another_route_is_409(api: Api, customer: User) -> None:
    api.post("/api/server/create", user=customer, json=ORDER, headers={"Idempotency-Key": "k"})

    assert_error(
        api.post("/create_machine", user=customer, json=ORDER, headers={"Idempotency-Key": "k"}),
        409,
        "idempotency_key_reused",
    )
    assert _servers(api, customer) == 1


def test_keys_are_per_customer(api: Api, customer: User, stranger: User) -> None:
    mine = api.post(
        "/api/server/create", user=customer, json=ORDER, headers={"Idempotency-Key": "same"}
    )
    theirs = api.post(
        "/api/server/create", user=stranger, json=ORDER, headers={"Idempotency-Key": "same"}
    )

    assert mine.status_code == theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs.headers
    assert theirs.json["id"] != mine.json["id"] and theirs.json["userId"] == stranger.id


def test_a_refused_request_releases_its_key(api: Api) -> None:
    poor = api.customer(balance=None)
    key = {"Idempotency-Key": "retry-after-top-up"}

    assert_error(
        api.post("/api/server/create", user=poor, json=ORDER, headers=key),
        402,
        "insufficient_funds",
    )
    assert_error(
        api.post("/api/server/create", user=poor, json={"osId": "x"}, headers=key), 400, "invalid"
    )
    api.credit(poor, "10.00")
    result = api.post("/api/server/create", user=poor, json=ORDER, headers=key)

    assert result.status_code == 201 and "Idempotent-Replayed" not in result.headers
    assert _servers(api, poor) == 1


def test_a_key_is_kept_for_a_day(api: Api, customer: User) -> None:
    secret = api.post("/api/tokens", user=customer, json={"name": "outlives sessions"}).json[
        "token"
    ]
    customer = attrs.evolve(customer, token=secret)
    key = {"Idempotency-Key": "daily"}
    api.post("/api/server/create", user=customer, json=ORDER, headers=key)
    api.clock.advance(23 * 3600)
    assert (
        api.post("/api/server/create", user=customer, json=ORDER, headers=key).headers.get(
            "Idempotent-Replayed"
        )
        == "true"
    )
    api.clock.advance(2 * 3600)

    result = api.post("/api/server/create", user=customer, json=ORDER, headers=key)

    assert result.status_code == 201 and "Idempotent-Replayed" not in result.headers
    assert _servers(api, customer) == 2


@pytest.mark.parametrize("key", ["", "has space", "ключ", "x" * 256, "tab\there"])
def test_a_malformed_key_is_400_and_orders_nothing(api: Api, customer: User, key: str) -> None:
    before = api.state()

    result = api.request(
        "POST",
        "/api/server/create",
        user=customer,
        json=ORDER,
        headers={"Idempotency-Key": key.encode("utf-8").decode("latin-1")},
    )

    assert_error(result, 400, "invalid", "Idempotency-Key")
    assert api.state() == before


def test_ten_concurrent_requests_with_one_key_create_one_server(api: Api, customer: User) -> None:
    results: list[tuple[int, str]] = []
    start = threading.Barrier(10)

    def order() -> None:
        start.wait()
        result = api.post(
            "/api/server/create", user=customer, json=ORDER, headers={"Idempotency-Key": "race"}
        )
        code = (
            result.json.get("code", "")
            if result.status_code != 201
            else result.headers.get("Idempotent-Replayed", "first")
        )
        results.append((result.status_code, code))

    threads = [threading.Thread(target=order) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(results) == 10
    outcomes = Counter(results)
    assert outcomes[(201, "first")] == 1, outcomes
    assert set(outcomes) <= {(201, "first"), (201, "true"), (409, "idempotency_key_in_use")}, (
        outcomes
    )
    assert _servers(api, customer) == 1
    assert len(api.hypervisor.guests_all()) == 1
    assert api.balance(customer) == "999.050000"


def test_a_request_still_running_with_the_key_is_409_with_retry_after(
    api: Api, customer: User
) -> None:
    """A key claimed by a request that has not answered yet (another worker, mid-order): the
    retry is told to come back, and nothing runs twice."""
    body = b'{"osId": 1, "tariffId": 1}'
    fingerprint = hashlib.sha256(b"\n".join([b"POST", b"/api/server/create", body])).hexdigest()
    with api.rt.uow() as uow:
        uow.idempotency.claim(
            IdempotencyRecord(customer.id, "in-flight", fingerprint, api.clock.now())
        )
        uow.commit()
    before = api.state()

    result = api.raw(
        "POST", "/api/server/create", body, user=customer, headers={"Idempotency-Key": "in-flight"}
    )

    assert_error(result, 409, "idempotency_key_in_use")
    assert result.headers["Retry-After"] == "1"
    assert api.state() == before


def test_a_key_whose_request_died_is_taken_over_once_its_lease_ran_out(
    api: Api, customer: User
) -> None:
    """The worker that claimed the key died mid-request: the claim never gets a response. The
    retry is refused while the claim's lease runs (the request might still be running), then
    runs, once."""
    body = b'{"osId": 1, "tariffId": 1}'
    fingerprint = hashlib.sha256(b"\n".join([b"POST", b"/api/server/create", body])).hexdigest()
    with api.rt.uow() as uow:
        claim = IdempotencyRecord(customer.id, "crashed", fingerprint, api.clock.now())
        uow.idempotency.claim(claim)
        uow.commit()
    key = {"Idempotency-Key": "crashed"}

    early = api.raw("POST", "/api/server/create", body, user=customer, headers=key)
    api.clock.advance(dt.timedelta(seconds=61))
    retried = api.raw("POST", "/api/server/create", body, user=customer, headers=key)
    replayed = api.raw("POST", "/api/server/create", body, user=customer, headers=key)

    assert_error(early, 409, "idempotency_key_in_use")
    assert retried.status_code == 201, retried.text
    assert replayed.status_code == 201 and replayed.json["id"] == retried.json["id"]
    assert _servers(api, customer) == 1
