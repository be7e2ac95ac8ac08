"""Accounts and API tokens in memory."""

from __future__ import annotations

import builtins
import copy
import datetime as dt

import attrs

from adapters.memory.tables import Tables
from domain.model.accounts import Account, ApiToken, TokenKind
from domain.model.credentials import email_key
from domain.model.errors import AlreadyExists, NotFound
from ports.paging import Page


class InMemoryAccountRepository:
    def __init__(self, uow: Tables) -> None:
        self._uow = uow

    def next_id(self) -> int:
        return self._uow.next_id("accounts")

    def add(self, account: Account) -> None:
        table: dict[int, Account] = self._uow.read("accounts")
        if account.id in table:
            raise AlreadyExists(f"account {account.id} exists", id=account.id)
        if self._id_by_email(account.email) is not None:
            raise AlreadyExists("an account with this e-mail exists", field="email")
        self._uow.write("accounts")[account.id] = copy.copy(account)
        self._uow.saw_id("accounts", account.id)

    def get(self, account_id: int) -> Account | None:
        found = self._uow.read("accounts").get(account_id)
        return copy.copy(found) if found is not None else None

    def get_for_update(self, account_id: int) -> Account | None:
        return self.get(account_id)  # units of work on the memory store commit one at a time

    def by_email(self, email: str) -> Account | None:
        account_id = self._id_by_email(email)
        return self.get(account_id) if account_id is not None else None

    def update(self, account: Account) -> None:
        table: dict[int, Account] = self._uow.read("accounts")
        if account.id not in table:
            raise NotFound("account", account.id)
        other = self._id_by_email(account.email)
        if other is not None and other != account.id:
            raise AlreadyExists("an account with this e-mail exists", field="email")
        self._uow.write("accounts")[account.id] = copy.copy(account)

    def list(self, page: Page) -> tuple[builtins.list[Account], int]:
        table: dict[int, Account] = self._uow.read("accounts")
        ordered = [copy.copy(table[i]) for i in sorted(table)]
        return page.cut(ordered)

    def all_ids(self) -> builtins.list[int]:
        return sorted(self._uow.read("accounts"))

    def _id_by_email(self, email: str) -> int | None:
        wanted = email_key(email)
        for account in self._uow.read("accounts").values():
            if email_key(account.email) == wanted:
                return int(account.id)
        return None


class InMemoryTokenRepository:
    def __init__(self, uow: Tables) -> None:
        self._uow = uow

    def next_id(self) -> int:
        return self._uow.next_id("tokens")

    def add(self, token: ApiToken) -> None:
        table: dict[int, ApiToken] = self._uow.read("tokens")
        if token.id in table:
            raise AlreadyExists(f"token {token.id} exists", id=token.id)
        if any(t.digest == token.digest for t in table.values()):
            raise AlreadyExists("a token with this digest exists")
        self._uow.write("tokens")[token.id] = token
        self._uow.saw_id("tokens", token.id)

    def get(self, token_id: int) -> ApiToken | None:
        found: ApiToken | None = self._uow.read("tokens").get(token_id)
        return found

    def by_digest(self, digest: str) -> ApiToken | None:
        table: dict[int, ApiToken] = self._uow.read("tokens")
        return next((t for t in table.values() if t.digest == digest), None)

    def for_account(self, account_id: int, kind: TokenKind | None = None) -> list[ApiToken]:
        table: dict[int, ApiToken] = self._uow.read("tokens")
        return [
            table[i]
            for i in sorted(table)
            if table[i].account_id == account_id and (kind is None or table[i].kind is kind)
        ]

    def remove(self, token_id: int) -> None:
        if token_id in self._uow.read("tokens"):
            del self._uow.write("tokens")[token_id]

    def touch(self, token_id: int, at: dt.datetime) -> None:
        token = self.get(token_id)
        if token is not None:
            self._uow.write("tokens")[token_id] = attrs.evolve(token, last_used_at=at)

    def remove_expired(self, now: dt.datetime) -> int:
        table: dict[int, ApiToken] = self._uow.read("tokens")
        expired = [i for i, t in table.items() if t.expires_at is not None and t.expires_at <= now]
        if expired:
            writable = self._uow.write("tokens")
            for token_id in expired:
                del writable[token_id]
        return len(expired)
