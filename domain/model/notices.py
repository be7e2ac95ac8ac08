"""The notices we send, as plain data. Rendering to a transport (SMTP) is an adapter's business."""

from __future__ import annotations

import datetime as dt

import attrs

SUBJECTS = {
    "welcome": "Welcome to Oxnack",
    "server_ready": "Your server {name} is ready",
    "server_failed": "Your server {name} could not be created",
    "server_deleted": "Your server {name} was deleted",
    "server_lost": "Your server {name} was lost on the hypervisor and has been removed",
    "low_balance": "Your balance is running low",
    "account_low_balance": "Your balance is running low",
    "account_restricted": "Your balance is used up: new servers are on hold",
    "account_suspended": "Your servers were stopped for an unpaid balance",
    "account_terminated": "Your servers were deleted for an unpaid balance",
    "account_restored": "Thank you: your account is active again",
    "alert_raised": "Server {name}: {metric} at {value}%",
    "alert_cleared": "Server {name}: {metric} back to normal",
    "signup_existing": "Someone tried to sign up with your address",
    "password_reset": "Reset your Oxnack password",
    "password_changed": "Your Oxnack password was changed",
}
# Notices that carry a secret (a reset link): their body rests in the outbox sealed, opened only
# to be sent, so that the outbox never holds a usable link in clear.
SEALED = frozenset({"password_reset"})


@attrs.frozen
class Notice:
    id: int
    account_id: int
    to: str
    template: str
    subject: str
    body: str
    created_at: dt.datetime
    sent_at: dt.datetime | None = None
    attempts: int = 0
    last_error: str | None = None


def render(template: str, **fields: object) -> tuple[str, str]:
    """Subject and plain-text body for a template."""
    subject = SUBJECTS[template].format(**fields)
    lines = [subject, ""] + [f"{k}: {v}" for k, v in sorted(fields.items())]
    return subject, "\n".join(lines) + "\n"
