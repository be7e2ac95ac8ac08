"""The ledger's history for statements in PostgreSQL: the account's postings (by the postings'
account index) joined to their transactions' times."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from adapters.postgres.ledger import PostgresLedger
from adapters.postgres.session import Db
from domain.model.ledger import LedgerAccount, Transaction


class PostgresLedgerHistory:
    def __init__(self, db: Db) -> None:
        self._db = db
        self._ledger = PostgresLedger(db)

    def funds_before(self, accounts: Collection[LedgerAccount], moment: dt.datetime) -> int:
        found = self._db.scalar(
            "SELECT coalesce(sum(p.amount), 0) FROM postings p"
            " JOIN ledger_transactions t ON t.id = p.tx_id"
            " WHERE p.account_key = ANY(%s) AND t.created_at < %s",
            ([a.key for a in accounts], moment),
        )
        return int(found)

    def movements(
        self, accounts: Collection[LedgerAccount], start: dt.datetime, end: dt.datetime
    ) -> list[Transaction]:
        return list(
            self._ledger.transactions_where(
                "WHERE t.id IN (SELECT tx_id FROM postings WHERE account_key = ANY(%s))"
                " AND t.created_at >= %s AND t.created_at < %s",
                ([a.key for a in accounts], start, end),
            )
        )
