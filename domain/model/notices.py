"""The notices we send, as plain data: one template per kind, in text and HTML, and the rules of
their delivery (backoff, how many tries, at most once). The transport (SMTP) is an adapter's.

A new kind of notice is one entry in TEMPLATES: its subject and its text, with `{field}` places
that the caller of `notify` fills. The HTML part is made from the same text, every value escaped.
"""

from __future__ import annotations

import datetime as dt
import enum
import html

import attrs


@attrs.frozen
class Template:
    subject: str  # one line
    text: str  # paragraphs separated by blank lines


_SUPPORT = "If this was not you, or anything is unclear, reply to this e-mail."
_TOP_UP = "Top up your balance in the control panel to keep your servers running."

TEMPLATES: dict[str, Template] = {
    "welcome": Template(
        "Welcome to Oxnack",
        "Your Oxnack account {email} is ready.\n\n" + _SUPPORT,
    ),
    "server_ready": Template(
        "Your server {name} is ready",
        "Your server {name} is running at {ip}.\n\n"
        "How to connect: {connect}\n\n"
        "The root password was shown once, when you ordered the server; we never send it by "
        "e-mail. If you lost it, reset it from the control panel.",
    ),
    "server_failed": Template(
        "Your server {name} could not be created",
        "Your server {name} could not be created: {reason}\n\n"
        "Nothing was charged for it; the money held for it is back on your balance.",
    ),
    "server_deleted": Template(
        "Your server {name} was deleted",
        "Your server {name} was deleted, with its disks and snapshots.",
    ),
    "server_lost": Template(
        "Your server {name} was lost on the hypervisor and has been removed",
        "Your server {name} was no longer found on our hypervisors and has been removed. "
        "Billing for it has stopped.\n\n" + _SUPPORT,
    ),
    "account_low_balance": Template(
        "Your balance is running low",
        "Your balance is {balance}, which lasts less than three days at your servers' "
        "current cost.\n\n" + _TOP_UP,
    ),
    "account_restricted": Template(
        "Your balance is used up: new servers are on hold",
        "Your balance is {balance}. Until it is topped up you cannot order new servers; "
        "your servers keep running for now.\n\n" + _TOP_UP,
    ),
    "account_suspended": Template(
        "Your servers were stopped for an unpaid balance",
        "Your balance is {balance}. Your servers were stopped; their data is kept, and they "
        "start again when the balance is paid.\n\n" + _TOP_UP,
    ),
    "account_terminated": Template(
        "Your servers were deleted for an unpaid balance",
        "Your balance is {balance}. It stayed unpaid, so your servers and their data were deleted.",
    ),
    "account_restored": Template(
        "Thank you: your account is active again",
        "Your balance is {balance}. Your account is active again and the servers we stopped "
        "are starting.",
    ),
    "alert_raised": Template(
        "Server {name}: {metric} at {value}%",
        "The {metric} use of your server {name} is at {value}%.\n\n"
        "We tell you at most once an hour per server and resource.",
    ),
    "alert_cleared": Template(
        "Server {name}: {metric} back to normal",
        "The {metric} use of your server {name} is back to {value}%.",
    ),
    "ticket_reply": Template(
        "Re: {title} [ticket #{ticket_id}]",
        'Support answered your ticket #{ticket_id} "{title}":\n\n{message}\n\n'
        "Answer in the control panel: {link}",
    ),
    "signup_existing": Template(
        "Someone tried to sign up with your address",
        "Someone tried to open a new Oxnack account with {email}, which already has one. "
        "Nothing was changed.\n\n"
        "If it was you, log in, or reset your password if you forgot it. If not, you can "
        "ignore this e-mail.",
    ),
    "password_changed": Template(
        "Your Oxnack password was changed",
        "The password of {email} was changed, and every other session was logged out.\n\n"
        + _SUPPORT,
    ),
    # Two-factor login (domain/usecases/two_factor.py): its owner hears of every change to it.
    "two_factor_enabled": Template(
        "Two-factor login is on for your Oxnack account",
        "Logging in to {email} now needs a code from your authenticator app as well as the "
        "password. Keep your recovery codes somewhere safe: each one stands in for the app "
        "once.\n\n" + _SUPPORT,
    ),
    "two_factor_disabled": Template(
        "Two-factor login is off for your Oxnack account",
        "Logging in to {email} needs only the password again ({how}).\n\n" + _SUPPORT,
    ),
    "recovery_code_used": Template(
        "A recovery code was used to log in to your Oxnack account",
        "A recovery code of {email} was used to log in; {left} of your recovery codes are "
        "left. If your phone is lost, turn two-factor login off and set it up again for "
        "new codes.\n\n" + _SUPPORT,
    ),
    "password_reset": Template(
        "Reset your Oxnack password",
        "Someone asked to reset the password of {email}. To choose a new one, open this link "
        "within {valid_for}:\n\n{link}\n\n"
        "If you did not ask for it, ignore this e-mail: your password stays as it is.",
    ),
}
# Notices that carry a secret (a reset link): their body rests in the outbox sealed, opened only
# to be sent, so that the outbox never holds a usable link in clear.
SEALED = frozenset({"password_reset"})

# Values of these fields are addresses to open: the HTML part makes them links.
_LINK_FIELDS = frozenset({"link"})


@attrs.frozen
class Rendered:
    subject: str
    text: str
    html: str


# What a notice's fields hold: text, counts and figures (shown with str()).
NoticeField = str | int | float


def render(template: str, **fields: NoticeField) -> Rendered:
    """The subject, the text and the HTML of a notice. A missing field or an unknown template is a
    KeyError (a bug of the caller, not something to send); values are never read as templates."""
    chosen = TEMPLATES[template]
    # A header is one line: a value with a line break must not start a header of its own.
    subject = " ".join(chosen.subject.format(**fields).split())
    text = chosen.text.format(**fields)
    escaped = {name: _html_value(name, value) for name, value in fields.items()}
    body = html.escape(chosen.text, quote=False).format(**escaped)
    paragraphs = "\n".join(
        "<p>" + part.replace("\n", "<br>\n") + "</p>" for part in body.split("\n\n")
    )
    document = (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"<title>{html.escape(subject)}</title></head>\n<body>\n{paragraphs}\n</body></html>\n"
    )
    return Rendered(subject, text + "\n", document)


def _html_value(name: str, value: NoticeField) -> str:
    shown = html.escape(str(value))
    if name in _LINK_FIELDS and str(value).startswith(("https://", "http://")):
        return f'<a href="{shown}">{shown}</a>'
    return shown


class NoticeStatus(enum.Enum):
    PENDING = "pending"  # waiting for its (next) try
    SENDING = "sending"  # handed to the transport; no outcome recorded yet
    SENT = "sent"
    FAILED = "failed"  # given up: never tried again


# The delivery rules. A transient failure (an SMTP 4xx, a dropped or refused connection) is tried
# again after a backoff, up to TRANSIENT_TRIES in all; a permanent refusal (an SMTP 5xx) is tried
# again too, fewer times, because a 5xx for a wrong relay password is as permanent as the operator
# lets it be.
TRANSIENT_TRIES = 8
REFUSED_TRIES = 3
FIRST_BACKOFF = dt.timedelta(minutes=1)
LONGEST_BACKOFF = dt.timedelta(hours=1)
# A notice still `sending` after this long belongs to a process that died while sending it. It may
# have gone out, so it is marked failed rather than sent again: each notice is sent at most once.
SENDING_LEASE = dt.timedelta(minutes=15)


def backoff(tries: int) -> dt.timedelta:
    """The wait after the `tries`-th failed try: 1, 2, 4 ... minutes, at most an hour."""
    doublings: int = 2 ** max(tries - 1, 0)
    return min(FIRST_BACKOFF * doublings, LONGEST_BACKOFF)


@attrs.frozen
class Notice:
    id: int
    account_id: int
    to: str
    template: str
    subject: str
    body: str  # the text part
    created_at: dt.datetime
    sent_at: dt.datetime | None = None
    attempts: int = 0
    last_error: str | None = None
    html: str = ""  # the HTML part
    next_attempt_at: dt.datetime | None = None  # None: as soon as possible
    claimed_at: dt.datetime | None = None  # set while a deliverer sends it
    failed_at: dt.datetime | None = None

    @property
    def status(self) -> NoticeStatus:
        if self.sent_at is not None:
            return NoticeStatus.SENT
        if self.failed_at is not None:
            return NoticeStatus.FAILED
        if self.claimed_at is not None:
            return NoticeStatus.SENDING
        return NoticeStatus.PENDING

    def is_due(self, now: dt.datetime) -> bool:
        return self.status is NoticeStatus.PENDING and (
            self.next_attempt_at is None or self.next_attempt_at <= now
        )

    def claimed(self, now: dt.datetime) -> Notice:
        """Taken for one try: counted before it is sent, so a crash cannot send it twice."""
        return attrs.evolve(self, claimed_at=now, attempts=self.attempts + 1)

    def delivered(self, now: dt.datetime) -> Notice:
        return attrs.evolve(self, sent_at=now, claimed_at=None, last_error=None)

    def refused(self, now: dt.datetime, error: str, *, permanent: bool) -> Notice:
        """The try failed: wait and try again, or give up once its tries are spent."""
        tries = REFUSED_TRIES if permanent else TRANSIENT_TRIES
        if self.attempts >= tries:
            return attrs.evolve(self, claimed_at=None, last_error=error, failed_at=now)
        return attrs.evolve(
            self,
            claimed_at=None,
            last_error=error,
            next_attempt_at=now + backoff(self.attempts),
        )

    def interrupted(self, now: dt.datetime) -> Notice:
        return attrs.evolve(
            self,
            claimed_at=None,
            failed_at=now,
            last_error="the deliverer stopped while sending; not sent again, it may have gone out",
        )
