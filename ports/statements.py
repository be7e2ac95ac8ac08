"""What a monthly statement reads of the ledger: a customer's money before a moment, and what
moved it within a period. Both by the transactions' times (`created_at`), so that consecutive
periods meet exactly: one's closing balance is the next one's opening balance."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Protocol

from domain.model.ledger import LedgerAccount, Transaction


class LedgerHistory(Protocol):
    def funds_before(self, accounts: Collection[LedgerAccount], moment: dt.datetime) -> int:
        """The sum of the postings to `accounts` of every transaction made before `moment`."""
        ...

    def movements(
        self, accounts: Collection[LedgerAccount], start: dt.datetime, end: dt.datetime
    ) -> list[Transaction]:
        """Every transaction with a posting to one of `accounts` made in [start, end), in
        posting order."""
        ...
