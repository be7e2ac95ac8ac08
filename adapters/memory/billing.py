"""Batch billing in memory: the same contract as PostgreSQL's, kept simple.

Units of work are serialized by the store's lock, so "locked, skipping what others hold" is simply
every due server; charges go through the ledger's own `post`, so its promises hold unchanged.
"""

from __future__ import annotations

import copy
import datetime as dt

from adapters.memory.tables import Tables
from domain.model.errors import NotFound
from domain.model.server import Server
from ports.billing import BilledMeter, DueMeter
from ports.repositories import LedgerRepository


class InMemoryBillingBatches:
    def __init__(self, uow: Tables, ledger: LedgerRepository) -> None:
        self._uow = uow
        self._ledger = ledger  # charges go through its `post`, with every promise it keeps

    def due_meters(
        self, due_by: dt.datetime, limit: int, after: DueMeter | None = None
    ) -> list[DueMeter]:
        servers: dict[int, Server] = self._uow.read("servers")
        start = (after.meter.billed_until, after.server_id) if after is not None else None
        due = sorted(
            (s.meter.billed_until, s.id)
            for s in servers.values()
            if s.billable and s.meter.billed_until <= due_by
        )
        page = [position for position in due if start is None or position > start]
        return [_due(servers[server_id]) for _, server_id in page[: max(limit, 0)]]

    def record(self, billed: list[BilledMeter]) -> None:
        servers: dict[int, Server] = self._uow.read("servers")
        for result in billed:
            if result.server_id not in servers:
                raise NotFound("server", result.server_id)
            for charge in result.charges:
                self._ledger.post(charge)
        table = self._uow.write("servers")
        for result in billed:
            server = copy.copy(table[result.server_id])
            server.meter = result.meter
            table[result.server_id] = server


def _due(server: Server) -> DueMeter:
    return DueMeter(server.id, server.owner_id, server.name, server.catalogue_version, server.meter)
