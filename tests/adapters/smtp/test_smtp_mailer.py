"""The SMTP adapter against a real relay (aiosmtpd): STARTTLS, TLS, AUTH, and each way a relay
says no, mapped to what the outbox does next (Unavailable: try again; ExternalFailure: refused)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.smtp import SmtpMailer, TlsMode
from domain.model.errors import ExternalFailure, Unavailable
from ports.messaging import OutgoingMail

from .relay import SENDER, USER, Relay, free_port, running_relay

MAIL = OutgoingMail(
    "ann@example.com",
    "Your server web-1 is ready",
    "Your server web-1 is running at 203.0.113.7.\n",
    message_id="notice-7@hostprovider",
    html="<!DOCTYPE html>\n<html><body><p>Your server web-1 is ready</p></body></html>\n",
)


@pytest.fixture
def relay(tmp_path: Path) -> Iterator[Relay]:
    with running_relay(tmp_path) as running:
        yield running


def test_a_mail_goes_out_over_starttls_with_auth_as_text_and_html(relay: Relay) -> None:
    SmtpMailer(relay.settings()).send(MAIL)

    [delivery] = relay.delivered
    assert (delivery.mail_from, delivery.rcpt_tos) == ("noreply@oxnack.example", [MAIL.to])
    assert (delivery.over_tls, delivery.login) == (True, USER)
    message = delivery.message
    assert (message["From"], message["To"], message["Subject"]) == (SENDER, MAIL.to, MAIL.subject)
    assert message["Message-ID"] == "<notice-7@hostprovider>" and message["Date"]
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and text.get_content().replace("\r\n", "\n") == MAIL.body
    assert html is not None and html.get_content().replace("\r\n", "\n") == MAIL.html


def test_a_mail_without_html_is_plain_text(relay: Relay) -> None:
    SmtpMailer(relay.settings()).send(OutgoingMail(MAIL.to, "Hi", "Hello\n", "notice-8@x"))
    [delivery] = relay.delivered
    assert delivery.message.get_content_type() == "text/plain"


@pytest.mark.parametrize("tls", [TlsMode.TLS, TlsMode.NONE])
def test_tls_from_the_first_byte_and_plain_smtp(tmp_path: Path, tls: TlsMode) -> None:
    with running_relay(tmp_path, tls) as relay:
        SmtpMailer(relay.settings()).send(MAIL)
        [delivery] = relay.delivered
    assert delivery.over_tls is (tls is TlsMode.TLS)
    assert delivery.login == (USER if tls is TlsMode.TLS else None)


def test_a_wrong_password_is_a_refusal(relay: Relay) -> None:
    with pytest.raises(ExternalFailure) as refused:
        SmtpMailer(relay.settings(password="wrong")).send(MAIL)
    assert not refused.value.transient and refused.value.details["smtp_code"] == 535
    assert relay.delivered == []


def test_a_relay_without_starttls_gets_nothing_in_clear(tmp_path: Path) -> None:
    with running_relay(tmp_path, TlsMode.NONE) as plain:
        with pytest.raises(ExternalFailure) as refused:
            SmtpMailer(plain.settings(tls=TlsMode.STARTTLS)).send(MAIL)
        assert plain.handler.data_commands == 0
    assert not refused.value.transient and "STARTTLS" in refused.value.message


def test_a_certificate_we_do_not_trust_stops_the_send(relay: Relay) -> None:
    with pytest.raises(Unavailable, match="CERTIFICATE_VERIFY_FAILED"):
        SmtpMailer(relay.settings(ca_file=None)).send(MAIL)
    assert relay.handler.data_commands == 0


def test_a_4xx_is_unavailable_and_a_5xx_is_refused(relay: Relay) -> None:
    relay.handler.answers.extend(["451 4.3.0 try again later", "554 5.6.0 message refused"])
    mailer = SmtpMailer(relay.settings())

    with pytest.raises(Unavailable, match="451 4.3.0 try again later") as later:
        mailer.send(MAIL)
    with pytest.raises(ExternalFailure, match="554 5.6.0 message refused") as refused:
        mailer.send(MAIL)

    assert later.value.details["smtp_code"] == 451
    assert not refused.value.transient and refused.value.details["smtp_code"] == 554
    assert relay.delivered == []


def test_a_refused_recipient_is_refused(relay: Relay) -> None:
    relay.handler.refused.add(MAIL.to)
    with pytest.raises(ExternalFailure, match="550 5.1.1 no such mailbox") as refused:
        SmtpMailer(relay.settings()).send(MAIL)
    assert not refused.value.transient


def test_a_connection_dropped_mid_data_is_unavailable(relay: Relay) -> None:
    relay.handler.drops = 1
    with pytest.raises(Unavailable):
        SmtpMailer(relay.settings()).send(MAIL)
    assert relay.handler.data_commands == 1 and relay.delivered == []


def test_no_relay_listening_is_unavailable(relay: Relay) -> None:
    with pytest.raises(Unavailable, match="SMTP relay 127.0.0.1"):
        SmtpMailer(relay.settings(port=free_port())).send(MAIL)
