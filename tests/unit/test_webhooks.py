"""Webhooks' rules: which URLs may be called, how a delivery is signed, and how long it is tried."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

import pytest

from domain.model.errors import RuleViolation, ValidationError
from domain.model.webhooks import (
    RETRY_WINDOW,
    Delivery,
    DeliveryStatus,
    WebhookEvent,
    backoff,
    check_url,
    is_public_address,
    signature,
    verify,
)

NOW = dt.datetime(2026, 12, 5, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "address",
    [
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "127.0.0.1",
        "169.254.169.254",  # the cloud metadata address
        "100.64.0.1",  # shared address space (carrier NAT)
        "0.0.0.0",
        "224.0.0.1",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",  # loopback written as IPv6
        "::ffff:10.1.2.3",
    ],
)
def test_private_loopback_link_local_and_reserved_addresses_are_not_public(address: str) -> None:
    assert not is_public_address(address)


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2a00:1450:4001:80b::200e"])
def test_internet_addresses_are_public(address: str) -> None:
    assert is_public_address(address)


def test_a_public_https_url_is_taken_with_its_port() -> None:
    target = check_url("https://hooks.example.com:8443/oxnack?x=1", allow_private=False)
    assert (target.scheme, target.host, target.port) == ("https", "hooks.example.com", 8443)
    assert check_url("https://hooks.example.com/", allow_private=False).port == 443


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://hooks.example.com/", "https"),
        ("ftp://hooks.example.com/", "https"),
        ("https://10.0.0.5/hook", "private"),
        ("https://[::1]/hook", "private"),
        ("https://169.254.169.254/latest", "private"),
        ("https://localhost/hook", "public host"),
        ("https://printer.local/hook", "public host"),
        ("https://user:secret@hooks.example.com/", "no user"),
        ("https:///path-only", "host"),
        ("https://hooks.example.com/#part", "fragment"),
    ],
)
def test_urls_that_would_reach_our_own_network_or_are_not_https_are_refused(
    url: str, problem: str
) -> None:
    with pytest.raises(RuleViolation) as refused:
        check_url(url, allow_private=False)
    assert refused.value.field == "url"
    assert problem in refused.value.message


def test_the_sandbox_takes_plain_http_to_a_local_receiver() -> None:
    target = check_url("http://127.0.0.1:9000/hook", allow_private=True)
    assert (target.scheme, target.host, target.port) == ("http", "127.0.0.1", 9000)


@pytest.mark.parametrize("url", ["https://" + "a" * 2000 + ".com", "https://[::1/"])
def test_a_url_too_long_or_unreadable_is_malformed_input(url: str) -> None:
    with pytest.raises(ValidationError) as refused:
        check_url(url, allow_private=True)
    assert type(refused.value) is ValidationError


def test_the_signature_is_an_hmac_of_the_timestamp_and_the_body() -> None:
    body = b'{"id":1,"event":"server.created"}'
    expected = hmac.new(b"whsec_abc", b"1764936000." + body, hashlib.sha256).hexdigest()
    assert signature("whsec_abc", 1764936000, body) == f"t=1764936000,v1={expected}"


def test_a_receiver_refuses_a_changed_body_an_old_signature_or_another_key() -> None:
    body = b'{"id":7}'
    header = signature("whsec_abc", 1_000_000, body)
    assert verify("whsec_abc", header, body, now=1_000_000 + 300)
    assert not verify("whsec_abc", header, b'{"id":8}', now=1_000_000)
    assert not verify("whsec_abc", header, body, now=1_000_000 + 301)
    assert not verify("whsec_other", header, body, now=1_000_000)
    assert not verify("whsec_abc", "v1=deadbeef", body, now=1_000_000)


def test_backoff_doubles_from_thirty_seconds_up_to_two_hours() -> None:
    waits = [backoff(n).total_seconds() for n in range(1, 12)]
    assert waits[:4] == [30, 60, 120, 240]
    assert max(waits) == 7200 and waits[-1] == 7200


def _delivery() -> Delivery:
    return Delivery(1, 1, 1, WebhookEvent.SERVER_CREATED, "{}", NOW)


def test_a_2xx_delivers_and_anything_else_is_tried_again_after_the_backoff() -> None:
    tried = _delivery().claimed(NOW)
    assert tried.status is DeliveryStatus.SENDING and tried.attempts == 1

    failed = tried.answered(NOW, 500, "oops")
    assert failed.status is DeliveryStatus.PENDING
    assert failed.next_attempt_at == NOW + dt.timedelta(seconds=30)
    assert (failed.last_status_code, failed.last_answer) == (500, "oops")
    assert not failed.is_due(NOW) and failed.is_due(NOW + dt.timedelta(seconds=30))

    done = failed.claimed(NOW).answered(NOW, 204, "")
    assert done.status is DeliveryStatus.DELIVERED and done.next_attempt_at is None


def test_a_delivery_is_given_up_once_its_next_try_would_fall_past_24_hours() -> None:
    delivery = _delivery()
    at = NOW
    while delivery.status is not DeliveryStatus.FAILED:
        delivery = delivery.claimed(at).answered(at, None, "connection refused")
        assert delivery.status in (DeliveryStatus.PENDING, DeliveryStatus.FAILED)
        if delivery.next_attempt_at is not None:
            at = delivery.next_attempt_at
    assert at <= NOW + RETRY_WINDOW
    assert at + backoff(delivery.attempts) > NOW + RETRY_WINDOW
    assert 15 <= delivery.attempts <= 20  # about a day of tries, two hours apart at the end
