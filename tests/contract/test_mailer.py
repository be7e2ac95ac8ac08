"""Mailer and EventPublisher fakes."""

from __future__ import annotations

import pytest

from adapters.memory import RecordingEventPublisher
from domain.model.errors import ExternalFailure, Unavailable
from ports.messaging import OutgoingMail

from .conftest import MailRig

MAIL = OutgoingMail(
    "ann@example.com", "Your server srv-1 is ready", "Hello\n", "<notice-1@hostprovider>"
)


def test_a_sent_mail_is_delivered(mail: MailRig):
    mail.mailer.send(MAIL)
    assert [(m.to, m.subject, m.message_id) for m in mail.delivered()] == [
        ("ann@example.com", "Your server srv-1 is ready", "<notice-1@hostprovider>")
    ]


def test_a_transient_failure_is_unavailable_and_delivers_nothing(mail: MailRig):
    mail.fail_next(2)
    for _ in range(2):
        with pytest.raises(Unavailable):
            mail.mailer.send(MAIL)
    assert mail.delivered() == []
    mail.mailer.send(MAIL)
    assert len(mail.delivered()) == 1


def test_a_permanent_failure_is_an_external_failure(mail: MailRig):
    mail.fail_next(permanent=True)
    with pytest.raises(ExternalFailure) as refused:
        mail.mailer.send(MAIL)
    assert not isinstance(refused.value, Unavailable)
    assert mail.delivered() == []


def test_events_are_recorded_by_channel():
    events = RecordingEventPublisher()
    events.publish("server-stats", {"serverId": 1, "cpu": 5})
    events.publish("server-alerts", {"serverId": 1, "metric": "cpu"})
    assert events.on("server-stats") == [{"serverId": 1, "cpu": 5}]
    assert [c for c, _ in events.events] == ["server-stats", "server-alerts"]
