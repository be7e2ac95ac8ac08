"""Notice templates (text and HTML, escaped) and the delivery rules of a notice."""

from __future__ import annotations

import datetime as dt
import re
import string

import pytest

from domain.model.notices import (
    REFUSED_TRIES,
    TEMPLATES,
    TRANSIENT_TRIES,
    Notice,
    NoticeStatus,
    backoff,
    render,
)

from .factories import at

T0 = at(2025, 3, 10, 12)


def _fields(template: str) -> dict[str, str]:
    """Every field a template names, each filled with its own name."""
    chosen = TEMPLATES[template]
    names = {
        name
        for text in (chosen.subject, chosen.text)
        for _, name, _, _ in string.Formatter().parse(text)
        if name
    }
    return {name: f"<{name}>" for name in names}


def test_the_ready_e_mail_says_where_and_how_to_connect() -> None:
    rendered = render(
        "server_ready", name="web-1", ip="203.0.113.7", connect="ssh root@203.0.113.7"
    )
    assert rendered.subject == "Your server web-1 is ready"
    assert rendered.text.startswith("Your server web-1 is running at 203.0.113.7.\n")
    assert "How to connect: ssh root@203.0.113.7" in rendered.text
    assert "<p>How to connect: ssh root@203.0.113.7</p>" in rendered.html


def test_every_value_is_escaped_in_the_html_and_plain_in_the_text() -> None:
    evil = '<script>alert("x")</script> & co'
    rendered = render("server_failed", name=evil, reason="a > b")
    assert "<script>" not in rendered.html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co" in rendered.html
    assert "a &gt; b" in rendered.html
    assert evil in rendered.text and evil in rendered.subject


def test_a_link_is_a_link_in_the_html_and_a_hostile_one_stays_text() -> None:
    link = "https://panel.example/reset?token=a&b=1"
    fields = {"email": "ann@example.com", "valid_for": "one hour"}
    rendered = render("password_reset", link=link, **fields)
    assert '<a href="https://panel.example/reset?token=a&amp;b=1">' in rendered.html
    assert link in rendered.text
    hostile = render("password_reset", link='javascript:alert(1)"', **fields)
    assert "<a " not in hostile.html and "javascript:alert(1)&quot;" in hostile.html


def test_a_subject_is_one_line_whatever_a_value_holds() -> None:
    rendered = render("server_deleted", name="web\r\nBcc: all@example.com")
    assert rendered.subject == "Your server web Bcc: all@example.com was deleted"


def test_field_values_are_not_templates() -> None:
    assert render("server_deleted", name="{name}{0}").subject == "Your server {name}{0} was deleted"


def test_unknown_template_and_missing_field_fail_loudly() -> None:
    with pytest.raises(KeyError):
        render("no_such_template")
    with pytest.raises(KeyError):
        render("server_ready", name="web-1")


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_every_template_renders_text_and_html_from_its_own_fields(template: str) -> None:
    rendered = render(template, **_fields(template))
    assert rendered.subject and "\n" not in rendered.subject
    assert rendered.text.endswith("\n") and "{" not in rendered.text
    assert rendered.html.startswith("<!DOCTYPE html>")
    # Every value arrives escaped: no tag of ours is named like a field.
    assert not re.search(r"<(?!/?(p|br|a|html|head|body|meta|title)\b|!DOCTYPE)", rendered.html)


def test_the_seed_kinds_and_the_new_ones_are_registered() -> None:
    payment_reminders = {
        "account_low_balance",
        "account_restricted",
        "account_suspended",
        "account_terminated",
    }
    wanted = {"server_ready", "alert_raised", "alert_cleared", "ticket_reply", "password_reset"}
    assert wanted | payment_reminders <= set(TEMPLATES)


def test_no_template_asks_for_a_password() -> None:
    assert not any("password" in _fields(t) for t in TEMPLATES)


def _notice(**change: object) -> Notice:
    base = Notice(1, 42, "a@example.com", "welcome", "Welcome to Oxnack", "Welcome\n", T0)
    return base if not change else Notice(**{**base.__dict__, **change})  # type: ignore[arg-type]


def test_a_new_notice_is_pending_and_due() -> None:
    notice = _notice()
    assert (notice.sent_at, notice.attempts, notice.last_error) == (None, 0, None)
    assert notice.status is NoticeStatus.PENDING and notice.is_due(T0)


def test_a_claimed_notice_counts_its_try_and_is_not_due() -> None:
    claimed = _notice().claimed(T0)
    assert (claimed.status, claimed.attempts) == (NoticeStatus.SENDING, 1)
    assert not claimed.is_due(T0 + dt.timedelta(days=1))
    assert claimed.delivered(T0).status is NoticeStatus.SENT


def test_backoff_doubles_up_to_an_hour() -> None:
    minutes = [backoff(n) // dt.timedelta(minutes=1) for n in range(1, 10)]
    assert minutes == [1, 2, 4, 8, 16, 32, 60, 60, 60]


def test_a_transient_failure_waits_its_backoff_then_gives_up() -> None:
    notice = _notice()
    for tries in range(1, TRANSIENT_TRIES):
        notice = notice.claimed(T0).refused(T0, "451 try later", permanent=False)
        assert notice.status is NoticeStatus.PENDING
        assert notice.next_attempt_at == T0 + backoff(tries)
        assert not notice.is_due(T0) and notice.is_due(T0 + backoff(tries))
    notice = notice.claimed(T0).refused(T0, "451 try later", permanent=False)
    assert (notice.status, notice.attempts, notice.failed_at) == (
        NoticeStatus.FAILED,
        TRANSIENT_TRIES,
        T0,
    )


def test_a_refusal_gives_up_after_fewer_tries() -> None:
    notice = _notice()
    for _ in range(REFUSED_TRIES - 1):
        notice = notice.claimed(T0).refused(T0, "550 no such user", permanent=True)
        assert notice.status is NoticeStatus.PENDING
    notice = notice.claimed(T0).refused(T0, "550 no such user", permanent=True)
    assert notice.status is NoticeStatus.FAILED and notice.last_error == "550 no such user"
    assert REFUSED_TRIES < TRANSIENT_TRIES


def test_an_interrupted_send_is_failed_not_retried() -> None:
    notice = _notice().claimed(T0).interrupted(T0)
    assert notice.status is NoticeStatus.FAILED and not notice.is_due(T0 + dt.timedelta(days=1))
