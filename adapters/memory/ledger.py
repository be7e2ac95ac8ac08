"""The ledger in memory: an append-only list of transactions with cached balances kept beside it.

The cache is updated in the same (serialized) unit of work as the append, and rolled back with it,
so it always equals `domain.model.ledger.balances(all())`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from adapters.memory.tables import Tables
from domain.model.errors import Conflict
from domain.model.ledger import LedgerAccount, Transaction, TxKind, check_postable
from ports.paging import Page

SETTLEMENTS = (TxKind.CAPTURE, TxKind.RELEASE)


class InMemoryLedger:
    def __init__(self, uow: Tables) -> None:
        self._uow = uow

    def post(self, tx: Transaction) -> Transaction:
        stored = self.get(tx.key)
        if stored is not None:
            if stored.same_movement(tx):
                return stored
            raise Conflict("another movement was posted under this key", key=tx.key)
        check_postable(tx, self.balance, self.unsettled)
        self._uow.write("ledger_txs").append(tx)
        self._uow.write("ledger_keys")[tx.key] = tx
        balances: dict[LedgerAccount, int] = self._uow.write("ledger_balances")
        for posting in tx.postings:
            balances[posting.account] = balances.get(posting.account, 0) + posting.amount
        if tx.kind is TxKind.HOLD:
            self._uow.write("ledger_unsettled")[tx.key] = tx.amount.micro
        elif tx.kind in SETTLEMENTS and tx.hold_key is not None:
            unsettled: dict[str, int] = self._uow.write("ledger_unsettled")
            unsettled[tx.hold_key] = unsettled.get(tx.hold_key, 0) - tx.amount.micro
        return tx

    def get(self, key: str) -> Transaction | None:
        found: Transaction | None = self._uow.read("ledger_keys").get(key)
        return found

    def balance(self, account: LedgerAccount) -> int:
        return int(self._uow.read("ledger_balances").get(account, 0))

    def balances(self, accounts: Iterable[LedgerAccount]) -> dict[LedgerAccount, int]:
        return {a: self.balance(a) for a in accounts}

    def unsettled(self, hold_key: str) -> int:
        return int(self._uow.read("ledger_unsettled").get(hold_key, 0))

    def for_customer(self, customer_id: int, page: Page) -> tuple[list[Transaction], int]:
        txs: list[Transaction] = self._uow.read("ledger_txs")
        mine = [
            tx
            for tx in reversed(txs)
            if any(p.account.customer_id == customer_id for p in tx.postings)
        ]
        return page.cut(mine)

    def all(self) -> Iterator[Transaction]:
        return iter(list(self._uow.read("ledger_txs")))
