"""Servers and their actions in memory."""

from __future__ import annotations

import builtins
import copy
import datetime as dt
from collections import Counter

from adapters.memory.tables import Tables
from domain.model.action import Action, ActionStatus
from domain.model.errors import AlreadyExists, NotFound
from domain.model.server import Server
from domain.model.server_status import GONE, IN_PROGRESS, ServerStatus
from ports.paging import Page


class InMemoryServerRepository:
    def __init__(self, uow: Tables) -> None:
        self._uow = uow

    def next_id(self) -> int:
        return self._uow.next_id("servers")

    def add(self, server: Server) -> None:
        if server.id in self._table():
            raise AlreadyExists(f"server {server.id} exists", id=server.id)
        self._uow.write("servers")[server.id] = copy.copy(server)
        self._uow.saw_id("servers", server.id)

    def get(self, server_id: int) -> Server | None:
        found = self._table().get(server_id)
        return copy.copy(found) if found is not None else None

    def get_for_update(self, server_id: int) -> Server | None:
        # Units of work are serialized by the store's lock: holding one is holding every row.
        return self.get(server_id)

    def update(self, server: Server) -> None:
        if server.id not in self._table():
            raise NotFound("server", server.id)
        self._uow.write("servers")[server.id] = copy.copy(server)

    def for_owner(self, owner_id: int, *, include_deleted: bool = False) -> builtins.list[Server]:
        return [
            copy.copy(s)
            for s in self._ordered()
            if s.owner_id == owner_id and (include_deleted or s.status is not ServerStatus.DELETED)
        ]

    def billable_before(self, moment: dt.datetime, limit: int) -> builtins.list[Server]:
        due = [s for s in self._table().values() if s.billable and s.meter.billed_until < moment]
        due.sort(key=lambda s: (s.meter.billed_until, s.id))
        return [copy.copy(s) for s in due[: max(limit, 0)]]

    def hourly_burn(self, owner_id: int) -> int:
        return sum(
            s.meter.hourly.micro
            for s in self._table().values()
            if s.owner_id == owner_id and s.billable
        )

    def list(self, page: Page) -> tuple[builtins.list[Server], int]:
        return page.cut([copy.copy(s) for s in self._ordered()])

    def by_vmid(self, vmid: int) -> Server | None:
        """The server whose guest has this vmid: a live one before a deleted one, then the
        newest."""
        matches = [s for s in self._table().values() if s.placement.vmid == vmid]
        if not matches:
            return None
        best = max(matches, key=lambda s: (s.status is not ServerStatus.DELETED, s.id))
        return copy.copy(best)

    def running(self) -> builtins.list[Server]:
        return [
            copy.copy(s)
            for s in self._ordered()
            if s.status is ServerStatus.RUNNING and s.placement.vmid is not None
        ]

    def in_progress(self) -> builtins.list[Server]:
        return [copy.copy(s) for s in self._ordered() if s.status in IN_PROGRESS]

    def placed_in(self, location_id: int) -> builtins.list[Server]:
        return [
            copy.copy(s)
            for s in self._ordered()
            if s.location_id == location_id
            and s.placement.vmid is not None
            and s.status not in GONE
        ]

    def _table(self) -> dict[int, Server]:
        table: dict[int, Server] = self._uow.read("servers")
        return table

    def _ordered(self) -> builtins.list[Server]:
        table = self._table()
        return [table[i] for i in sorted(table)]


class InMemoryActionRepository:
    def __init__(self, uow: Tables) -> None:
        self._uow = uow

    def next_id(self) -> int:
        return self._uow.next_id("actions")

    def add(self, action: Action) -> None:
        if action.id in self._table():
            raise AlreadyExists(f"action {action.id} exists", id=action.id)
        self._uow.write("actions")[action.id] = action
        self._uow.saw_id("actions", action.id)

    def get(self, action_id: int) -> Action | None:
        return self._table().get(action_id)

    def update(self, action: Action) -> None:
        if action.id not in self._table():
            raise NotFound("action", action.id)
        self._uow.write("actions")[action.id] = action

    def for_server(self, server_id: int) -> list[Action]:
        """Oldest first, the order they were started in."""
        table = self._table()
        return [table[i] for i in sorted(table) if table[i].server_id == server_id]

    def running_by_command(self) -> dict[str, int]:
        running = [a for a in self._table().values() if a.status is ActionStatus.RUNNING]
        return dict(Counter(a.command.value for a in running))

    def _table(self) -> dict[int, Action]:
        table: dict[int, Action] = self._uow.read("actions")
        return table
