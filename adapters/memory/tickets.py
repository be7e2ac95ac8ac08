"""Support tickets in memory: id -> Ticket (frozen, so a table copy is a whole snapshot)."""

from __future__ import annotations

import builtins
from collections.abc import Callable

from adapters.memory.tables import Tables
from domain.model.errors import Conflict
from domain.model.tickets import Ticket, TicketStatus
from ports.paging import Page


class InMemoryTicketRepository:
    def __init__(self, uow: Tables) -> None:
        self._uow = uow

    def next_id(self) -> int:
        return self._uow.next_id("tickets")

    def add(self, ticket: Ticket) -> None:
        self._uow.write("tickets")[ticket.id] = ticket

    def get(self, ticket_id: int, *, for_update: bool = False) -> Ticket | None:
        # Units of work in memory run one at a time: every read is already held.
        found: Ticket | None = self._uow.read("tickets").get(ticket_id)
        return found

    def update(self, ticket: Ticket) -> None:
        tickets = self._uow.write("tickets")
        stored: Ticket = tickets[ticket.id]
        if ticket.messages[: len(stored.messages)] != stored.messages:
            raise Conflict("the ticket changed since it was read", ticket=ticket.id)
        tickets[ticket.id] = ticket

    def for_owner(self, owner_id: int, page: Page) -> tuple[builtins.list[Ticket], int]:
        return page.cut(self._newest_first(lambda t: t.owner_id == owner_id))

    def list(self, status: TicketStatus | None, page: Page) -> tuple[builtins.list[Ticket], int]:
        return page.cut(self._newest_first(lambda t: status in (None, t.status)))

    def _newest_first(self, keep: Callable[[Ticket], bool]) -> builtins.list[Ticket]:
        tickets: dict[int, Ticket] = self._uow.read("tickets")
        return [t for _, t in sorted(tickets.items(), reverse=True) if keep(t)]
