"""The ledger in PostgreSQL: append-only transactions and postings, balances cached beside them.

Posting under concurrency (READ COMMITTED):
1. Lock the balance row of every account the transaction touches, creating missing ones, in one
   `INSERT ... ON CONFLICT DO UPDATE` over the accounts sorted by key: rows are locked in that
   stable order, so two postings never wait on each other in a cycle, and the statement returns the
   balances as last committed.
2. Lock the hold being settled, if any (always after the balances: the same order everywhere).
3. Look the key up again: a concurrent retry that committed while we waited is seen now, and a
   retry returns the stored transaction instead of being checked as new money.
4. `check_postable` against the locked balances, then insert. The database re-checks what matters
   (sum to zero at COMMIT, wallet floor, holds never negative, a hold settled at most once), so a
   bug here cannot break the books.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator

from adapters.postgres.rows import structure
from adapters.postgres.session import Db, Row, paged
from domain.model.errors import Conflict
from domain.model.ledger import LedgerAccount, Transaction, TxKind, check_postable
from ports.paging import Page

SETTLEMENTS = (TxKind.CAPTURE, TxKind.RELEASE)
_TX_COLUMNS = (
    "key, kind, currency, created_at, memo, customer_initiated, server_id, hold_key, reverses,"
    " catalogue_version"
)


class PostgresLedger:
    def __init__(self, db: Db) -> None:
        self._db = db

    def post(self, tx: Transaction) -> Transaction:
        accounts = sorted({p.account for p in tx.postings}, key=lambda a: a.key)
        locked = self._lock_balances(accounts)
        unsettled = 0
        if tx.hold_key is not None:
            found = self._db.scalar(
                "SELECT unsettled FROM ledger_holds WHERE hold_key = %s FOR UPDATE",
                (tx.hold_key,),
            )
            unsettled = int(found or 0)
        stored = self.get(tx.key)
        if stored is not None:
            if stored.same_movement(tx):
                return stored
            raise Conflict("another movement was posted under this key", key=tx.key)
        check_postable(tx, lambda a: locked[a.key], lambda _: unsettled)
        tx_id = self._db.scalar(
            f"INSERT INTO ledger_transactions ({_TX_COLUMNS})"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (key) DO NOTHING RETURNING id",
            (
                tx.key,
                tx.kind.value,
                tx.currency,
                tx.created_at,
                tx.memo,
                tx.customer_initiated,
                tx.server_id,
                tx.hold_key,
                tx.reverses,
                tx.catalogue_version,
            ),
        )
        if tx_id is None:  # the same key went in concurrently, on other accounts
            raise Conflict("another movement was posted under this key", key=tx.key)
        self._db.many(
            "INSERT INTO postings (tx_id, position, account_key, amount) VALUES (%s, %s, %s, %s)",
            [(tx_id, n, p.account.key, p.amount) for n, p in enumerate(tx.postings)],
        )
        if tx.kind is TxKind.HOLD:
            self._db.run(
                "INSERT INTO ledger_holds (hold_key, amount, unsettled) VALUES (%s, %s, %s)",
                (tx.key, tx.amount.micro, tx.amount.micro),
            )
        elif tx.kind in SETTLEMENTS and tx.hold_key is not None:
            self._db.run(
                "UPDATE ledger_holds SET unsettled = unsettled - %s WHERE hold_key = %s",
                (tx.amount.micro, tx.hold_key),
            )
        return tx

    def _lock_balances(self, accounts: list[LedgerAccount]) -> dict[str, int]:
        values = ", ".join(["(%s, %s, %s, %s)"] * len(accounts))
        params = [v for a in accounts for v in (a.key, a.kind.value, a.currency, a.customer_id)]
        rows = self._db.rows(
            "INSERT INTO account_balances (account_key, kind, currency, customer_id)"
            f" VALUES {values}"
            " ON CONFLICT (account_key) DO UPDATE SET account_key = EXCLUDED.account_key"
            " RETURNING account_key, balance",
            params,
        )
        return {r["account_key"]: int(r["balance"]) for r in rows}

    def get(self, key: str) -> Transaction | None:
        found = self.transactions_where("WHERE t.key = %s", (key,))
        return next(found, None)

    def balance(self, account: LedgerAccount) -> int:
        found = self._db.scalar(
            "SELECT balance FROM account_balances WHERE account_key = %s", (account.key,)
        )
        return int(found or 0)

    def balances(self, accounts: Iterable[LedgerAccount]) -> dict[LedgerAccount, int]:
        by_key = {a.key: a for a in accounts}
        rows = self._db.rows(
            "SELECT account_key, balance FROM account_balances WHERE account_key = ANY(%s)",
            (list(by_key),),
        )
        found = {by_key[r["account_key"]]: int(r["balance"]) for r in rows}
        return {a: found.get(a, 0) for a in by_key.values()}

    def unsettled(self, hold_key: str) -> int:
        found = self._db.scalar(
            "SELECT unsettled FROM ledger_holds WHERE hold_key = %s", (hold_key,)
        )
        return int(found or 0)

    def for_customer(self, customer_id: int, page: Page) -> tuple[list[Transaction], int]:
        # The page's ids and the count in one statement, one snapshot (see session.paged); the
        # transactions are then read by id, and a posted transaction never changes.
        mine = (
            "SELECT DISTINCT p.tx_id FROM postings p"
            " JOIN account_balances a USING (account_key) WHERE a.customer_id = %s"
        )
        rows, total = paged(self._db, f"{mine} ORDER BY p.tx_id DESC", (customer_id,), page)
        ids = [r["tx_id"] for r in rows]
        found = list(self.transactions_where("WHERE t.id = ANY(%s)", (ids,), descending=True))
        return found, total

    def all(self) -> Iterator[Transaction]:
        return iter(list(self.transactions_where("", ())))

    def transactions_where(
        self, where: str, params: tuple[object, ...], *, descending: bool = False
    ) -> Iterator[Transaction]:
        """The transactions `where` selects (a WHERE clause over `t`, the transactions), with
        their postings, in posting order (or its reverse)."""
        order = "DESC" if descending else "ASC"
        rows = self._db.rows(
            f"SELECT t.id, {_prefixed('t.')}, p.amount, a.kind AS account_kind,"
            " a.currency AS account_currency, a.customer_id"
            " FROM ledger_transactions t"
            " JOIN postings p ON p.tx_id = t.id"
            " JOIN account_balances a ON a.account_key = p.account_key"
            f" {where} ORDER BY t.id {order}, p.position",
            params,
        )
        for _, group in itertools.groupby(rows, key=lambda r: r["id"]):
            yield _transaction(list(group))


def _prefixed(prefix: str) -> str:
    return ", ".join(prefix + c for c in _TX_FIELDS)


_TX_FIELDS = tuple(c.strip() for c in _TX_COLUMNS.split(","))


def _transaction(rows: list[Row]) -> Transaction:
    first = rows[0]
    data = {k: first[k] for k in _TX_FIELDS if k != "currency"}
    data["postings"] = [
        {
            "account": {
                "kind": r["account_kind"],
                "currency": r["account_currency"],
                "customer_id": r["customer_id"],
            },
            "amount": r["amount"],
        }
        for r in rows
    ]
    return structure(data, Transaction)
