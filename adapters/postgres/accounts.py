"""Accounts and API tokens in PostgreSQL."""

from __future__ import annotations

import builtins
import datetime as dt
from typing import Any

from adapters.postgres.rows import structure, unstructure
from adapters.postgres.session import Db, insert_new, next_id, paged, update_by_id
from domain.model.accounts import Account, ApiToken, TokenKind
from domain.model.credentials import email_key
from domain.model.errors import AlreadyExists, NotFound
from ports.paging import Page


def _row(account: Account) -> dict[str, Any]:
    """The account's columns, with the key its address is unique by (the domain's)."""
    row: dict[str, Any] = unstructure(account)
    row["email_key"] = email_key(account.email)
    return row


def _account(row: dict[str, Any]) -> Account:
    return structure({k: v for k, v in row.items() if k != "email_key"}, Account)


class PostgresAccountRepository:
    def __init__(self, db: Db) -> None:
        self._db = db
        # Accounts read with their token (`PostgresTokenRepository.by_digest`), for the `get`
        # that follows in the same unit of work: authenticating is then one statement.
        self._read_with_token: dict[int, Account] = {}

    def read_with_token(self, account: Account) -> None:
        self._read_with_token[account.id] = account

    def next_id(self) -> int:
        return next_id(self._db, "accounts")

    def add(self, account: Account) -> None:
        self._read_with_token.clear()
        if not insert_new(self._db, "accounts", _row(account)):
            if self.get(account.id) is not None:
                raise AlreadyExists(f"account {account.id} exists", id=account.id)
            raise AlreadyExists("an account with this e-mail exists", field="email")

    def get(self, account_id: int) -> Account | None:
        known = self._read_with_token.pop(account_id, None)
        if known is not None:
            return known
        row = self._db.row("SELECT * FROM accounts WHERE id = %s", (account_id,))
        return _account(row) if row else None

    def get_for_update(self, account_id: int) -> Account | None:
        row = self._db.row("SELECT * FROM accounts WHERE id = %s FOR UPDATE", (account_id,))
        return _account(row) if row else None

    def by_email(self, email: str) -> Account | None:
        row = self._db.row("SELECT * FROM accounts WHERE email_key = %s", (email_key(email),))
        return _account(row) if row else None

    def update(self, account: Account) -> None:
        self._read_with_token.clear()
        # A savepoint: a taken e-mail is a refusal the caller may recover from.
        try:
            with self._db.savepoint():
                found = update_by_id(self._db, "accounts", _row(account))
        except AlreadyExists:
            raise AlreadyExists("an account with this e-mail exists", field="email") from None
        if not found:
            raise NotFound("account", account.id)

    def list(self, page: Page) -> tuple[builtins.list[Account], int]:
        rows, total = paged(self._db, "SELECT * FROM accounts ORDER BY id", (), page)
        return [_account(r) for r in rows], total

    def all_ids(self) -> builtins.list[int]:
        return [int(r["id"]) for r in self._db.rows("SELECT id FROM accounts ORDER BY id")]


class PostgresTokenRepository:
    def __init__(self, db: Db, accounts: PostgresAccountRepository | None = None) -> None:
        self._db = db
        self._accounts = accounts

    def next_id(self) -> int:
        return next_id(self._db, "api_tokens")

    def add(self, token: ApiToken) -> None:
        if not insert_new(self._db, "api_tokens", unstructure(token)):
            if self.get(token.id) is not None:
                raise AlreadyExists(f"token {token.id} exists", id=token.id)
            raise AlreadyExists("a token with this digest exists")

    def get(self, token_id: int) -> ApiToken | None:
        row = self._db.row("SELECT * FROM api_tokens WHERE id = %s", (token_id,))
        return structure(row, ApiToken) if row else None

    def by_digest(self, digest: str) -> ApiToken | None:
        """The token, and its account read in the same statement for the account repository."""
        found = self._db.row_pair(
            "SELECT t.*, NULL AS account_follows, a.* FROM api_tokens t"
            " LEFT JOIN accounts a ON a.id = t.account_id WHERE t.digest = %s",
            (digest,),
            "account_follows",
        )
        if found is None:
            return None
        token, account = found
        if self._accounts is not None and account["id"] is not None:
            self._accounts.read_with_token(_account(account))
        return structure(token, ApiToken)

    def for_account(self, account_id: int, kind: TokenKind | None = None) -> list[ApiToken]:
        rows = self._db.rows(
            "SELECT * FROM api_tokens WHERE account_id = %s"
            " AND (%s::text IS NULL OR kind = %s::text) ORDER BY id",
            (account_id, kind and kind.value, kind and kind.value),
        )
        return [structure(r, ApiToken) for r in rows]

    def remove(self, token_id: int) -> None:
        self._db.run("DELETE FROM api_tokens WHERE id = %s", (token_id,))

    def touch(self, token_id: int, at: dt.datetime) -> None:
        self._db.run("UPDATE api_tokens SET last_used_at = %s WHERE id = %s", (at, token_id))

    def remove_expired(self, now: dt.datetime) -> int:
        return self._db.run("DELETE FROM api_tokens WHERE expires_at <= %s", (now,))
