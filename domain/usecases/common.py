"""Small pieces the use cases share: who is acting, finding what they own, notices and audit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import attrs

from domain.model.accounts import Account, Role
from domain.model.action import Action, ActionCommand, ActionStatus
from domain.model.catalogue import OsImage
from domain.model.errors import NotFound, PermissionDenied
from domain.model.ledger import LedgerAccount
from domain.model.money import Money
from domain.model.notices import SEALED, Notice, render
from domain.model.server import Server, ServerStatus
from ports.audit import AuditRecord
from ports.unit_of_work import UnitOfWork


@attrs.frozen
class Actor:
    account_id: int
    role: Role

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def require_admin(self) -> None:
        if not self.is_admin:
            raise PermissionDenied("this needs an administrator")


def account_of(uow: UnitOfWork, account_id: object, *, for_update: bool = False) -> Account:
    # Only an int is an id: 2.0 or True would otherwise find account 2 (or 1) by equality.
    if type(account_id) is not int:
        account = None
    elif for_update:
        account = uow.accounts.get_for_update(account_id)
    else:
        account = uow.accounts.get(account_id)
    if account is None:
        raise NotFound("customer", account_id)
    return account


def owned_server(
    uow: UnitOfWork, actor: Actor, server_id: object, *, for_update: bool = False
) -> Server:
    """The server if the actor may see it. Another customer's server is 'not found', never
    'forbidden': an id must not reveal that it exists."""
    if type(server_id) is not int or server_id <= 0:
        raise NotFound("server", server_id)
    server = uow.servers.get_for_update(server_id) if for_update else uow.servers.get(server_id)
    if server is None or server.status is ServerStatus.DELETED and not actor.is_admin:
        raise NotFound("server", server_id)
    if server.owner_id != actor.account_id and not actor.is_admin:
        raise NotFound("server", server_id)
    return server


def begin_action(
    uow: UnitOfWork,
    server: Server,
    command: ActionCommand,
    guard: str,
    now: dt.datetime,
    params: tuple[tuple[str, str], ...] = (),
) -> Action:
    """Refuse or start an action on a server (the caller saves the server)."""
    server.check_allows(guard)
    action = Action(
        id=uow.actions.next_id(),
        server_id=server.id,
        owner_id=server.owner_id,
        command=command,
        status=ActionStatus.RUNNING,
        started_at=now,
        params=params,
    )
    server.begin(guard, action.id, now)
    uow.actions.add(action)
    return action


def wallet_balance(uow: UnitOfWork, account: Account) -> Money:
    return Money(
        uow.ledger.balance(LedgerAccount.wallet(account.id, account.currency)), account.currency
    )


def notify(
    uow: UnitOfWork,
    account: Account,
    template: str,
    now: dt.datetime,
    *,
    seal: Callable[[str], str] | None = None,
    **fields: object,
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
    **details: object,
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


def image_of(uow: UnitOfWork, server: Server) -> OsImage | None:
    """The server's image in the current catalogue; None once it has left it (the server keeps
    running; what the image told, its default user, its guest agent, is then unknown)."""
    try:
        return uow.catalogue.current().image(server.image_id)
    except NotFound:
        return None
