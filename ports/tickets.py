"""Where support tickets live between units of work (domain/model/tickets.py)."""

from __future__ import annotations

import builtins
from typing import Protocol

from domain.model.tickets import Ticket, TicketStatus
from ports.paging import Page


class TicketRepository(Protocol):
    def next_id(self) -> int: ...
    def add(self, ticket: Ticket) -> None:
        """Store a new ticket with its messages."""
        ...

    def get(self, ticket_id: int, *, for_update: bool = False) -> Ticket | None:
        """The ticket with every message, oldest first; `for_update` holds it until the unit of
        work ends, so that two replies or status changes are taken one at a time."""
        ...

    def update(self, ticket: Ticket) -> None:
        """Store the ticket's status and time, and the messages it has beyond those stored
        (messages are only ever added). Conflict when the stored messages are not where the
        ticket has them: it was read before another write (read it `for_update`)."""
        ...

    def for_owner(self, owner_id: int, page: Page) -> tuple[builtins.list[Ticket], int]:
        """The customer's tickets, newest first, and how many there are."""
        ...

    def list(self, status: TicketStatus | None, page: Page) -> tuple[builtins.list[Ticket], int]:
        """Every ticket (of that status), newest first, and how many there are."""
        ...
