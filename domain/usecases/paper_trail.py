"""What a change leaves behind besides itself, in its own unit of work: a notice for the account's
owner (sent later from the outbox) and an entry in the audit log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from domain.model.accounts import Account
from domain.model.money import Money
from domain.model.notices import SEALED, Notice, NoticeField, render
from domain.usecases.actors import Actor
from ports.audit import AuditRecord
from ports.unit_of_work import UnitOfWork

# What an audit entry's details hold (kept as text).
AuditDetail = str | int | Money | None


def notify(
    uow: UnitOfWork,
    account: Account,
    template: str,
    now: dt.datetime,
    *,
    seal: Callable[[str], str] | None = None,
    **fields: NoticeField,
) -> None:
    """Queue a notice in the outbox, in the same unit of work as the change it announces: the
    notice exists exactly when the change does. `template` is a key of notices.TEMPLATES.

    A template that carries a secret (notices.SEALED, a reset link) rests in the outbox sealed,
    text and HTML alike, and is opened only to be sent: such a template needs `seal`."""
    if (template in SEALED) != (seal is not None):
        raise ValueError(f"notice {template}: sealed exactly when notices.SEALED lists it")
    rendered = render(template, **fields)
    keep = seal or (lambda part: part)
    uow.outbox.add(
        Notice(
            id=uow.outbox.next_id(),
            account_id=account.id,
            to=account.email,
            template=template,
            subject=rendered.subject,
            body=keep(rendered.text),
            html=keep(rendered.html),
            created_at=now,
        )
    )


def audit(
    uow: UnitOfWork,
    actor: Actor | None,
    event: str,
    target: str,
    now: dt.datetime,
    **details: AuditDetail,
) -> None:
    uow.audit.record(
        AuditRecord(
            at=now,
            actor_id=actor.account_id if actor else None,
            action=event,
            target=target,
            result="ok",
            details=tuple(sorted((k, str(v)) for k, v in details.items())),
        )
    )
