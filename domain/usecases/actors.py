"""Who is acting (an Actor: an account and its role), and finding their account and wallet."""

from __future__ import annotations

import attrs

from domain.model.accounts import Account, Role
from domain.model.errors import NotFound, PermissionDenied
from domain.model.ledger import LedgerAccount
from domain.model.money import Money
from domain.model.scopes import FULL_ACCESS, Scope
from ports.unit_of_work import UnitOfWork


@attrs.frozen
class Actor:
    account_id: int
    role: Role
    scopes: frozenset[Scope] = FULL_ACCESS  # a personal token's; a login session has all

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def require_admin(self) -> None:
        if not self.is_admin:
            raise PermissionDenied("this needs an administrator")


def account_of(uow: UnitOfWork, account_id: int, *, for_update: bool = False) -> Account:
    if for_update:
        account = uow.accounts.get_for_update(account_id)
    else:
        account = uow.accounts.get(account_id)
    if account is None:
        raise NotFound("customer", account_id)
    return account


def wallet_balance(uow: UnitOfWork, account: Account) -> Money:
    return Money(
        uow.ledger.balance(LedgerAccount.wallet(account.id, account.currency)), account.currency
    )
