"""Delivering the outbox: each notice is sent at least once and marked, retried on failure."""

from __future__ import annotations

import attrs

from domain.model.errors import DomainError, ExternalFailure, Unavailable
from domain.model.notices import SEALED, Notice
from domain.usecases.runtime import Runtime
from ports.messaging import OutgoingMail

MAX_ATTEMPTS = 8


@attrs.frozen
class DeliveryReport:
    sent: int
    failed: int


def deliver_notices(rt: Runtime, *, limit: int = 100) -> DeliveryReport:
    """Each due notice is claimed (held in its own unit of work) while it is sent and marked, so
    two schedulers delivering at once never send one notice twice. A crash between the send and
    the commit sends it again later: at least once, never lost."""
    sent = failed = 0
    for candidate in _due(rt, limit):
        with rt.uow() as uow:
            notice = uow.outbox.claim(candidate.id)
            if notice is None:
                continue  # sent meanwhile, or being sent by another scheduler right now
            try:
                mail = OutgoingMail(
                    notice.to,
                    notice.subject,
                    _body(rt, notice),
                    message_id=f"notice-{notice.id}@hostprovider",
                )
                rt.mailer.send(mail)
                update = attrs.evolve(
                    notice, sent_at=rt.clock.now(), attempts=notice.attempts + 1, last_error=None
                )
                sent += 1
            except DomainError as ex:
                # A permanent refusal is not retried; a transient one waits for the next pass.
                attempts = notice.attempts + 1 if isinstance(ex, Unavailable) else MAX_ATTEMPTS
                update = attrs.evolve(notice, attempts=attempts, last_error=ex.message)
                failed += 1
            uow.outbox.update(update)
            uow.commit()
    return DeliveryReport(sent, failed)


def _body(rt: Runtime, notice: Notice) -> str:
    if notice.template not in SEALED:
        return notice.body
    opened = rt.secret_box.open(notice.body)
    if opened is None:  # sealed under another key: it can never be sent
        raise ExternalFailure("the notice was sealed with another key")
    return opened


def _due(rt: Runtime, limit: int) -> list[Notice]:
    """Up to `limit` unsent notices still worth a try. Notices that gave up stay unsent in the
    outbox, which lists the oldest first: counted against the batch they would starve every newer
    notice."""
    fetch = limit
    while True:
        with rt.uow() as uow:
            batch = uow.outbox.pending(fetch)
        due = [n for n in batch if n.attempts < MAX_ATTEMPTS]
        if len(due) >= limit or len(batch) < fetch:
            return due[:limit]
        fetch *= 2
