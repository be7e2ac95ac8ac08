"""A ticket opened by a customer and answered by staff, through the API, reaches the customer as
exactly one e-mail through a real SMTP relay (the reply escaped in its HTML part); another
customer sees neither the ticket nor a mail."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.smtp import SmtpMailer
from domain.usecases.notices import deliver_notices
from tests.backoffice import Backoffice
from tests.http.api_support import SETTINGS, Api, assert_error

from .relay import Relay, running_relay


@pytest.fixture
def relay(tmp_path: Path) -> Iterator[Relay]:
    with running_relay(tmp_path) as running:
        yield running


def test_a_staff_answer_mails_the_customer_once_and_nobody_else(relay: Relay) -> None:
    api = Api(Backoffice(SETTINGS, mailer=SmtpMailer(relay.settings())))
    alice, bob = api.customer(), api.customer()
    deliver_notices(api.rt)  # the welcomes
    welcomed = len(relay.delivered)

    opened = api.post(
        "/api/tickets",
        user=alice,
        json={"subject": "Backups", "message": "How do I restore a snapshot?"},
    )
    ticket = opened.json["id"]
    answer = "Use <Rollback> in the panel & wait a minute.\n\nRegards, support"
    replied = api.post(
        f"/api/admin/tickets/{ticket}/messages", user=api.admin, json={"message": answer}
    )
    assert replied.status_code == 201, replied.text
    deliver_notices(api.rt)
    deliver_notices(api.rt)  # a second pass sends nothing again

    mails = relay.delivered[welcomed:]
    assert [d.rcpt_tos for d in mails] == [[alice.email]]
    message = mails[0].message
    assert message["Subject"] == f"Re: Backups [ticket #{ticket}]"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Use <Rollback> in the panel & wait a minute." in text
    assert "Use &lt;Rollback&gt; in the panel &amp; wait a minute." in html
    assert "<Rollback>" not in html
    assert_error(api.get(f"/api/tickets/{ticket}", user=bob), 404, "not_found")
    assert api.get("/api/tickets", user=bob).json["data"] == []
