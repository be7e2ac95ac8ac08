"""Delivering the outbox: each notice sent at most once, retried with backoff, then marked failed.

A try has three steps. The notice is claimed (SKIP LOCKED on PostgreSQL, so two deliverers never
take the same one) and marked `sending` with its try counted, and that is committed; then it is
handed to the mailer, outside any transaction; then the outcome is written. A deliverer that dies
between the first and the last step leaves the notice `sending`: after SENDING_LEASE it is marked
failed, never sent again, since the relay may have taken it already.
"""

from __future__ import annotations

import attrs

from domain.model.errors import DomainError, ExternalFailure
from domain.model.notices import SEALED, SENDING_LEASE, Notice
from domain.usecases.actors import Actor
from domain.usecases.runtime import Runtime
from ports.messaging import OutgoingMail
from ports.paging import Page


@attrs.frozen
class DeliveryReport:
    sent: int
    failed: int


def deliver_notices(rt: Runtime, *, limit: int = 100) -> DeliveryReport:
    """Up to `limit` due notices, oldest first, one at a time."""
    _fail_interrupted(rt)
    sent = failed = 0
    for _ in range(limit):
        notice = _claim_one(rt)
        if notice is None:
            break
        try:
            rt.mailer.send(_mail(rt, notice))
        except DomainError as ex:
            permanent = not (isinstance(ex, ExternalFailure) and ex.transient)
            outcome = notice.refused(rt.clock.now(), ex.message, permanent=permanent)
            failed += 1
        else:
            outcome = notice.delivered(rt.clock.now())
            sent += 1
        with rt.uow() as uow:
            uow.outbox.update(outcome)
            uow.commit()
    return DeliveryReport(sent, failed)


def _claim_one(rt: Runtime) -> Notice | None:
    now = rt.clock.now()
    with rt.uow() as uow:
        found = uow.outbox.claim_due(now, 1)
        if not found:
            return None
        notice = found[0].claimed(now)
        uow.outbox.update(notice)
        uow.commit()
    return notice


def _fail_interrupted(rt: Runtime) -> None:
    now = rt.clock.now()
    with rt.uow() as uow:
        stalled = uow.outbox.stalled(now - SENDING_LEASE, 100)
        for notice in stalled:
            uow.outbox.update(notice.interrupted(now))
        uow.commit()


def _mail(rt: Runtime, notice: Notice) -> OutgoingMail:
    return OutgoingMail(
        notice.to,
        notice.subject,
        _opened(rt, notice, notice.body),
        message_id=f"notice-{notice.id}@hostprovider",
        html=_opened(rt, notice, notice.html) if notice.html else notice.html,
    )


def _opened(rt: Runtime, notice: Notice, part: str) -> str:
    """A part as sent: a sealed notice (one carrying a secret, a reset link) is opened only here,
    so the outbox never holds it in clear."""
    if notice.template not in SEALED:
        return part
    opened = rt.secret_box.open(part)
    if opened is None:  # sealed under another key: it can never be sent
        raise ExternalFailure("the notice was sealed with another key")
    return opened


def list_outbox(rt: Runtime, actor: Actor, page: Page) -> tuple[list[Notice], int]:
    """Every notice, newest first, with its delivery state: where mail that is off is read."""
    actor.require_admin()
    with rt.uow() as uow:
        return uow.outbox.list(page)
