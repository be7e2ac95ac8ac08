"""Outbound messages: e-mail, real-time events, background jobs."""

from __future__ import annotations

from typing import Any, Protocol

import attrs


@attrs.frozen
class OutgoingMail:
    to: str
    subject: str
    body: str
    message_id: str  # stable per notice, so a redelivery can be recognised downstream
    html: str = ""  # the HTML alternative of `body`, when there is one


class Mailer(Protocol):
    def send(self, mail: OutgoingMail) -> None:
        """Hand the mail to the transport. Raises Unavailable on a transient failure (an SMTP 4xx,
        a refused or dropped connection: retry later) and ExternalFailure on a permanent one (an
        SMTP 5xx: the address, the message or our credentials were refused)."""
        ...


class EventPublisher(Protocol):
    def publish(self, channel: str, payload: dict[str, Any]) -> None:
        """Fire and forget to real-time subscribers (`server-stats`, `server-alerts`)."""
        ...


class JobQueue(Protocol):
    """Background work, deferred inside the unit of work that caused it.

    Promises: a job deferred in a unit of work that rolls back never runs; a job with a `lock` never
    runs at the same time as another job with the same lock; a job may run more than once (after a
    crash), so every job handler is safe to repeat.
    """

    def defer(self, task: str, *, lock: str | None = None, **args: Any) -> None: ...
