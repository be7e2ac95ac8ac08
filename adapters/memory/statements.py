"""The ledger's history for statements, read from the in-memory ledger's transactions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from adapters.memory.tables import Tables
from domain.model.ledger import LedgerAccount, Transaction


class InMemoryLedgerHistory:
    def __init__(self, uow: Tables) -> None:
        self._uow = uow

    def funds_before(self, accounts: Collection[LedgerAccount], moment: dt.datetime) -> int:
        txs: list[Transaction] = self._uow.read("ledger_txs")
        wanted = set(accounts)
        return sum(
            p.amount
            for tx in txs
            if tx.created_at < moment
            for p in tx.postings
            if p.account in wanted
        )

    def movements(
        self, accounts: Collection[LedgerAccount], start: dt.datetime, end: dt.datetime
    ) -> list[Transaction]:
        txs: list[Transaction] = self._uow.read("ledger_txs")
        wanted = set(accounts)
        return [
            tx
            for tx in txs
            if start <= tx.created_at < end and any(p.account in wanted for p in tx.postings)
        ]
