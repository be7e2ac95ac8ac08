from __future__ import annotations

import pytest

from domain.model.notices import SUBJECTS, Notice, render

from .factories import at


def test_render_fills_the_subject_and_lists_the_fields() -> None:
    subject, body = render("server_ready", name="web-1", ip="203.0.113.7")
    assert subject == "Your server web-1 is ready"
    assert body == "Your server web-1 is ready\n\nip: 203.0.113.7\nname: web-1\n"


def test_alert_subject() -> None:
    subject, _ = render("alert_raised", name="web-1", metric="cpu", value=93)
    assert subject == "Server web-1: cpu at 93%"


def test_field_values_are_not_templates() -> None:
    subject, _ = render("server_ready", name="{name}{0}")
    assert subject == "Your server {name}{0} is ready"


def test_unknown_template_and_missing_field_fail_loudly() -> None:
    with pytest.raises(KeyError):
        render("no_such_template")
    with pytest.raises(KeyError):
        render("server_ready")


def test_every_subject_renders_with_its_own_fields() -> None:
    fields = {"name": "web-1", "metric": "cpu", "value": 95}
    for template in SUBJECTS:
        subject, body = render(template, **fields)
        assert subject and "{" not in subject and body.startswith(subject + "\n\n")


def test_a_new_notice_is_unsent() -> None:
    notice = Notice(
        1, 42, "a@example.com", "welcome", "Welcome to Oxnack", "Welcome\n", at(2025, 3, 10)
    )
    assert (notice.sent_at, notice.attempts, notice.last_error) == (None, 0, None)
