"""What the operator does from the machine's shell (`hostprovider admin ...`, `catalog import`),
with no account of their own: find accounts by e-mail, give one a new password, list admins.

Having the machine is the operator's authority. The audit log shows their acts with actor 0, an id
no account has, so they stay told apart from any admin's."""

from __future__ import annotations

from domain.model.accounts import Account, Role, TokenKind
from domain.model.credentials import EmailAddress
from domain.model.errors import NotFound
from domain.usecases.actors import Actor
from domain.usecases.paper_trail import audit
from domain.usecases.runtime import Runtime

CONSOLE = Actor(0, Role.ADMIN)


def account_by_email(rt: Runtime, email: EmailAddress) -> Account:
    address = email.text
    with rt.uow() as uow:
        account = uow.accounts.by_email(address)
    if account is None:
        raise NotFound("account", address)
    return account


def reset_account_password(rt: Runtime, actor: Actor, email: EmailAddress) -> str:
    """A new random password for the account, returned once; its logins (sessions) end, so
    whoever knew the old one is out. Personal tokens stay: they are revoked one by one."""
    actor.require_admin()
    account = account_by_email(rt, email)
    password = rt.secrets.password()
    password_hash = rt.hasher.hash(password)  # slow: outside the unit of work on purpose
    with rt.uow() as uow:
        stored = uow.accounts.get_for_update(account.id)
        if stored is None:
            raise NotFound("account", account.email)
        stored.password_hash = password_hash
        uow.accounts.update(stored)
        for token in uow.tokens.for_account(stored.id, TokenKind.SESSION):
            uow.tokens.remove(token.id)
        audit(uow, actor, "account.reset_password", f"account:{stored.id}", rt.clock.now())
        uow.commit()
    return password


def list_admins(rt: Runtime, actor: Actor) -> list[Account]:
    actor.require_admin()
    with rt.uow() as uow:
        accounts = [uow.accounts.get(i) for i in uow.accounts.all_ids()]
    return [a for a in accounts if a is not None and a.role is Role.ADMIN]
