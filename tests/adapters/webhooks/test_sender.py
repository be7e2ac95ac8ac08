"""The webhook sender against a real receiver on loopback: what arrives, signed; where it refuses
to connect; and that it connects to the address it checked while TLS keeps the customer's name."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from adapters.webhooks import HttpWebhookSender
from domain.model.webhooks import SIGNATURE_HEADER, check_url, signature, verify
from ports.webhooks import WebhookRequest

from .receiver import running_receiver, self_signed

SECRET = "whsec_test"


def _request(url: str, body: bytes = b'{"id":1,"event":"server.created"}') -> WebhookRequest:
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: signature(SECRET, int(time.time()), body),
    }
    return WebhookRequest(check_url(url, allow_private=True), headers, body)


def test_the_receiver_gets_the_body_and_a_signature_it_can_verify() -> None:
    with running_receiver() as receiver:
        answer = HttpWebhookSender().send(
            _request(f"http://127.0.0.1:{receiver.port}/hook?tenant=7"), allow_private=True
        )
    assert (answer.status_code, answer.text) == (200, "thanks")
    [got] = receiver.received
    assert got.path == "/hook?tenant=7"
    assert got.body == b'{"id":1,"event":"server.created"}'
    assert got.headers["Host"] == f"127.0.0.1:{receiver.port}"
    assert verify(SECRET, got.headers[SIGNATURE_HEADER], got.body, now=int(time.time()))


def test_a_name_that_resolves_to_a_private_address_is_not_called() -> None:
    with running_receiver() as receiver:
        sender = HttpWebhookSender(resolver=lambda host, port: ["93.184.215.14", "127.0.0.1"])
        answer = sender.send(
            _request(f"http://hooks.example.com:{receiver.port}/"), allow_private=False
        )
    assert answer.status_code is None
    assert "non-public address (127.0.0.1)" in answer.text
    assert receiver.received == []


def test_the_connection_goes_to_the_address_checked_not_to_a_second_lookup() -> None:
    """A name that answers a public address to the check and a private one to a second lookup
    (DNS rebinding) would reach the private one if the HTTP library resolved it again."""
    lookups: list[str] = []

    def rebinding(host: str, port: int) -> list[str]:
        lookups.append(host)
        return ["127.0.0.1"] if len(lookups) == 1 else ["10.255.255.1"]

    with running_receiver() as receiver:
        answer = HttpWebhookSender(resolver=rebinding).send(
            _request(f"http://rebind.example:{receiver.port}/"), allow_private=True
        )
    assert answer.status_code == 200
    assert lookups == ["rebind.example"]  # resolved once, by us
    assert receiver.received[0].headers["Host"] == f"rebind.example:{receiver.port}"


def test_https_connects_to_the_checked_address_and_checks_the_certificate_of_the_name(
    tmp_path: Path,
) -> None:
    cert, key = self_signed(tmp_path, "hooks.test")
    to_loopback = lambda host, port: ["127.0.0.1"]  # noqa: E731
    with running_receiver(tls=(cert, key)) as receiver:
        trusted = HttpWebhookSender(resolver=to_loopback, verify=str(cert))
        answer = trusted.send(_request(f"https://hooks.test:{receiver.port}/"), allow_private=True)
        untrusted = HttpWebhookSender(resolver=to_loopback)  # the system's CAs only
        refused = untrusted.send(
            _request(f"https://hooks.test:{receiver.port}/"), allow_private=True
        )
        other_name = HttpWebhookSender(resolver=to_loopback, verify=str(cert)).send(
            _request(f"https://elsewhere.test:{receiver.port}/"), allow_private=True
        )
    assert answer.status_code == 200
    assert refused.status_code is None and "SSLError" in refused.text
    assert other_name.status_code is None  # the certificate is not for that name
    assert len(receiver.received) == 1


def test_a_redirect_is_an_answer_not_a_second_request() -> None:
    with running_receiver() as receiver:
        receiver.answers.append((302, {"Location": "http://169.254.169.254/latest/meta-data"}))
        answer = HttpWebhookSender().send(
            _request(f"http://127.0.0.1:{receiver.port}/"), allow_private=True
        )
    assert answer.status_code == 302
    assert len(receiver.received) == 1


@pytest.mark.parametrize("status", [404, 500, 503])
def test_an_error_answer_is_reported_with_its_status_and_text(status: int) -> None:
    with running_receiver() as receiver:
        receiver.answers.append((status, {}))
        answer = HttpWebhookSender().send(
            _request(f"http://127.0.0.1:{receiver.port}/"), allow_private=True
        )
    assert (answer.status_code, answer.text) == (status, "thanks")


def test_nobody_listening_is_no_answer_not_an_exception() -> None:
    with running_receiver() as receiver:
        port = receiver.port
    answer = HttpWebhookSender(connect_timeout=2).send(
        _request(f"http://127.0.0.1:{port}/"), allow_private=True
    )
    assert answer.status_code is None and "ConnectionError" in answer.text


def test_a_name_that_does_not_resolve_is_no_answer() -> None:
    answer = HttpWebhookSender().send(
        _request("https://no-such-host.invalid/"), allow_private=False
    )
    assert answer.status_code is None and "could not be resolved" in answer.text
