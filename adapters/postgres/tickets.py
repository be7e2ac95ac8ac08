"""Support tickets in PostgreSQL: a row per ticket, a row per message (append-only)."""

from __future__ import annotations

import builtins
from typing import Any

from adapters.postgres.rows import structure
from adapters.postgres.session import Db, Row, next_id, paged
from domain.model.errors import Conflict, NotFound
from domain.model.tickets import Ticket, TicketMessage, TicketStatus
from ports.paging import Page

_COLUMNS = "id, owner_id, subject, status, server_id, created_at, updated_at"


class PostgresTicketRepository:
    def __init__(self, db: Db) -> None:
        self._db = db

    def next_id(self) -> int:
        return next_id(self._db, "tickets")

    def add(self, ticket: Ticket) -> None:
        self._db.run(
            f"INSERT INTO tickets ({_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (
                ticket.id,
                ticket.owner_id,
                ticket.subject,
                ticket.status.value,
                ticket.server_id,
                ticket.created_at,
                ticket.updated_at,
            ),
        )
        self._add_messages(ticket, 0)

    def get(self, ticket_id: int, *, for_update: bool = False) -> Ticket | None:
        lock = " FOR UPDATE" if for_update else ""
        row = self._db.row(f"SELECT {_COLUMNS} FROM tickets WHERE id = %s{lock}", (ticket_id,))
        return None if row is None else self._with_messages([row])[0]

    def update(self, ticket: Ticket) -> None:
        last = self._db.row(
            "SELECT position, author, author_id, body, at FROM ticket_messages"
            " WHERE ticket_id = %s ORDER BY position DESC LIMIT 1",
            (ticket.id,),
        )
        stored = 0 if last is None else last.pop("position") + 1
        if last is not None and (
            len(ticket.messages) < stored
            or structure(last, TicketMessage) != ticket.messages[stored - 1]
        ):
            raise Conflict("the ticket changed since it was read", ticket=ticket.id)
        touched = self._db.run(
            "UPDATE tickets SET status = %s, updated_at = %s WHERE id = %s",
            (ticket.status.value, ticket.updated_at, ticket.id),
        )
        if not touched:
            raise NotFound("ticket", ticket.id)
        self._add_messages(ticket, stored)

    def for_owner(self, owner_id: int, page: Page) -> tuple[builtins.list[Ticket], int]:
        rows, total = paged(
            self._db,
            f"SELECT {_COLUMNS} FROM tickets WHERE owner_id = %s ORDER BY id DESC",
            (owner_id,),
            page,
        )
        return self._with_messages(rows), total

    def list(self, status: TicketStatus | None, page: Page) -> tuple[builtins.list[Ticket], int]:
        where, params = ("", ()) if status is None else ("WHERE status = %s", (status.value,))
        rows, total = paged(
            self._db, f"SELECT {_COLUMNS} FROM tickets {where} ORDER BY id DESC", params, page
        )
        return self._with_messages(rows), total

    def _add_messages(self, ticket: Ticket, stored: int) -> None:
        self._db.many(
            "INSERT INTO ticket_messages (ticket_id, position, author, author_id, body, at)"
            " VALUES (%s, %s, %s, %s, %s, %s)",
            [
                (ticket.id, n, m.author.value, m.author_id, m.body, m.at)
                for n, m in enumerate(ticket.messages)
                if n >= stored
            ],
        )

    def _with_messages(self, rows: builtins.list[Row]) -> builtins.list[Ticket]:
        """The tickets of `rows`, each with its messages, read in one statement."""
        messages: dict[int, builtins.list[dict[str, Any]]] = {r["id"]: [] for r in rows}
        for m in self._db.rows(
            "SELECT ticket_id, author, author_id, body, at FROM ticket_messages"
            " WHERE ticket_id = ANY(%s) ORDER BY ticket_id, position",
            (list(messages),),
        ):
            messages[m.pop("ticket_id")].append(m)
        return [structure({**r, "messages": messages[r["id"]]}, Ticket) for r in rows]
