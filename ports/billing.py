"""Batch billing: due meters read a page at a time, and a page of results written at once.

Per-server billing costs a few round trips per server; over a hundred thousand servers that is the
whole run. This port lets the billing use case read a page of due meters and write their charges
and advanced watermarks back in a constant number of statements, while the metering rules stay in
the domain (`domain.model.metering.bill`), computed in Python for each meter.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

import attrs

from domain.model.ledger import Transaction
from domain.model.metering import Meter


@attrs.frozen
class DueMeter:
    """What billing needs of a server: its meter and what a charge names."""

    server_id: int
    owner_id: int
    server_name: str
    catalogue_version: int
    meter: Meter


@attrs.frozen
class BilledMeter:
    """A server's meter advanced to the run's moment, and the USAGE charges that cover the gap."""

    server_id: int
    meter: Meter
    charges: tuple[Transaction, ...]


class BillingBatches(Protocol):
    def due_meters(
        self, due_by: dt.datetime, limit: int, after: DueMeter | None = None
    ) -> list[DueMeter]:
        """Up to `limit` billable servers whose watermark is at or before `due_by`, oldest
        watermark first (then by id), starting past `after` (the last one of the previous page).

        They are locked for the rest of the unit of work. A server another unit of work holds is
        skipped rather than waited for: a concurrent run bills it, or the next run does.
        """
        ...

    def record(self, billed: list[BilledMeter]) -> None:
        """Post every charge and store every advanced meter, in a constant number of statements.

        The charges obey the ledger's promises (`LedgerRepository.post`); one whose key is already
        taken fails the whole write, and the unit of work can then only roll back.
        """
        ...
