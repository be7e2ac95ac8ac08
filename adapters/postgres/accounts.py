"""Accounts and API tokens in PostgreSQL."""

from __future__ import annotations

import builtins
import datetime as dt

from adapters.postgres.rows import structure, unstructure
from adapters.postgres.session import Db, insert_new, next_id, paged, update_by_id
from domain.model.accounts import Account, ApiToken, TokenKind
from domain.model.errors import AlreadyExists, NotFound
from ports.paging import Page


class PostgresAccountRepository:
    def __init__(self, db: Db) -> None:
        self._db = db

    def next_id(self) -> int:
        return next_id(self._db, "accounts")

    def add(self, account: Account) -> None:
        if not insert_new(self._db, "accounts", unstructure(account)):
            if self.get(account.id) is not None:
                raise AlreadyExists(f"account {account.id} exists", id=account.id)
            raise AlreadyExists("an account with this e-mail exists", field="email")

    def get(self, account_id: int) -> Account | None:
        row = self._db.row("SELECT * FROM accounts WHERE id = %s", (account_id,))
        return structure(row, Account) if row else None

    def get_for_update(self, account_id: int) -> Account | None:
        row = self._db.row("SELECT * FROM accounts WHERE id = %s FOR UPDATE", (account_id,))
        return structure(row, Account) if row else None

    def by_email(self, email: str) -> Account | None:
        row = self._db.row(
            "SELECT * FROM accounts WHERE lower(email) = lower(%s)", (email.strip(),)
        )
        return structure(row, Account) if row else None

    def update(self, account: Account) -> None:
        # A savepoint: a taken e-mail is a refusal the caller may recover from.
        try:
            with self._db.savepoint():
                found = update_by_id(self._db, "accounts", unstructure(account))
        except AlreadyExists:
            raise AlreadyExists("an account with this e-mail exists", field="email") from None
        if not found:
            raise NotFound("account", account.id)

    def list(self, page: Page) -> tuple[builtins.list[Account], int]:
        rows, total = paged(self._db, "SELECT * FROM accounts ORDER BY id", (), page)
        return [structure(r, Account) for r in rows], total

    def all_ids(self) -> builtins.list[int]:
        return [int(r["id"]) for r in self._db.rows("SELECT id FROM accounts ORDER BY id")]


class PostgresTokenRepository:
    def __init__(self, db: Db) -> None:
        self._db = db

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
        row = self._db.row("SELECT * FROM api_tokens WHERE digest = %s", (digest,))
        return structure(row, ApiToken) if row else None

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
