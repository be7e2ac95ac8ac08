"""Support tickets: customers open them and write; staff read every one, answer and set the status.

A customer sees only their own tickets (another's is 'not found', as for servers) and may name only
their own server. Everything a customer writes counts against one allowance per customer
(domain/model/tickets.py), so nobody floods the queue. A staff reply reaches the customer by
e-mail through the outbox, in the same unit of work as the reply: mailed exactly when it is
stored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from domain.model import tickets as rules
from domain.model.accounts import Role
from domain.model.errors import NotFound
from domain.model.tickets import Author, Ticket, TicketStatus
from domain.usecases import throttle
from domain.usecases.actors import Actor, account_of
from domain.usecases.paper_trail import notify
from domain.usecases.runtime import Runtime
from domain.usecases.server_access import owned_server
from ports.paging import Page
from ports.unit_of_work import UnitOfWork


def _checked(check: Callable[[str], str]) -> Callable[[Any, attrs.Attribute[str], str], None]:
    """An attrs validator (whose first argument is the instance being made) from a text rule."""

    def validate(_: Any, __: attrs.Attribute[str], value: str) -> None:
        check(value)

    return validate


@attrs.frozen
class OpenTicket:
    subject: str = attrs.field(validator=_checked(rules.check_subject))
    message: str = attrs.field(validator=_checked(rules.check_message))
    server_id: int | None = None


@attrs.frozen
class WriteMessage:
    ticket_id: int
    message: str = attrs.field(validator=_checked(rules.check_message))


@attrs.frozen
class TicketRef:
    ticket_id: int


@attrs.frozen
class SetStatus:
    ticket_id: int
    status: TicketStatus


@attrs.frozen
class TicketQuery:
    page: Page = Page()
    status: TicketStatus | None = None  # staff only: the customer's own list is never filtered


# --- the customer's side -------------------------------------------------------------------------


def open_ticket(rt: Runtime, actor: Actor, command: OpenTicket) -> Ticket:
    _count_write(rt, actor)
    now = rt.clock.now()
    with rt.uow() as uow:
        if command.server_id is not None:
            owned_server(uow, _as_owner(actor), command.server_id)
        ticket = Ticket.open(
            uow.tickets.next_id(),
            actor.account_id,
            command.subject,
            command.message,
            now,
            command.server_id,
        )
        uow.tickets.add(ticket)
        uow.commit()
    return ticket


def my_tickets(rt: Runtime, actor: Actor, query: TicketQuery) -> tuple[list[Ticket], int]:
    with rt.uow() as uow:
        return uow.tickets.for_owner(actor.account_id, query.page)


def my_ticket(rt: Runtime, actor: Actor, ref: TicketRef) -> Ticket:
    with rt.uow() as uow:
        return _owned(uow, actor, ref.ticket_id)


def write_message(rt: Runtime, actor: Actor, command: WriteMessage) -> Ticket:
    _count_write(rt, actor)
    now = rt.clock.now()
    with rt.uow() as uow:
        ticket = _owned(uow, actor, command.ticket_id, for_update=True)
        ticket = ticket.written(Author.CUSTOMER, actor.account_id, command.message, now)
        uow.tickets.update(ticket)
        uow.commit()
    return ticket


def close_ticket(rt: Runtime, actor: Actor, ref: TicketRef) -> Ticket:
    """Closing a closed ticket changes nothing and says so by returning it as it is."""
    with rt.uow() as uow:
        ticket = _owned(uow, actor, ref.ticket_id, for_update=True)
        closed = ticket.with_status(TicketStatus.CLOSED, rt.clock.now())
        if closed is not ticket:
            uow.tickets.update(closed)
            uow.commit()
    return closed


# --- staff ---------------------------------------------------------------------------------------


def all_tickets(rt: Runtime, actor: Actor, query: TicketQuery) -> tuple[list[Ticket], int]:
    actor.require_admin()
    with rt.uow() as uow:
        return uow.tickets.list(query.status, query.page)


def any_ticket(rt: Runtime, actor: Actor, ref: TicketRef) -> Ticket:
    actor.require_admin()
    with rt.uow() as uow:
        return _found(uow, ref.ticket_id)


def reply(rt: Runtime, actor: Actor, command: WriteMessage) -> Ticket:
    """Staff answer: stored, the ticket `answered`, and the customer mailed the answer."""
    actor.require_admin()
    now = rt.clock.now()
    with rt.uow() as uow:
        ticket = _found(uow, command.ticket_id, for_update=True)
        ticket = ticket.written(Author.STAFF, actor.account_id, command.message, now)
        uow.tickets.update(ticket)
        notify(
            uow,
            account_of(uow, ticket.owner_id),
            "ticket_reply",
            now,
            title=ticket.subject,
            ticket_id=ticket.id,
            message=command.message,
            link=f"{rt.policy.public_url}/tickets/{ticket.id}",
        )
        uow.commit()
    return ticket


def set_status(rt: Runtime, actor: Actor, command: SetStatus) -> Ticket:
    actor.require_admin()
    with rt.uow() as uow:
        ticket = _found(uow, command.ticket_id, for_update=True)
        changed = ticket.with_status(command.status, rt.clock.now())
        if changed is not ticket:
            uow.tickets.update(changed)
            uow.commit()
    return changed


# --- shared --------------------------------------------------------------------------------------


def _count_write(rt: Runtime, actor: Actor) -> None:
    throttle.admit(
        rt,
        rules.writes_key(actor.account_id),
        rules.CUSTOMER_WINDOW,
        rules.CUSTOMER_WRITES,
        "too many tickets and messages; wait and retry",
    )


def _as_owner(actor: Actor) -> Actor:
    # A ticket names the writer's own server, whoever writes: an admin's role lends them nobody
    # else's here.
    return attrs.evolve(actor, role=Role.CUSTOMER)


def _found(uow: UnitOfWork, ticket_id: int, *, for_update: bool = False) -> Ticket:
    ticket = uow.tickets.get(ticket_id, for_update=for_update)
    if ticket is None:
        raise NotFound("ticket", ticket_id)
    return ticket


def _owned(uow: UnitOfWork, actor: Actor, ticket_id: int, *, for_update: bool = False) -> Ticket:
    ticket = uow.tickets.get(ticket_id, for_update=for_update)
    if ticket is None or ticket.owner_id != actor.account_id:
        raise NotFound("ticket", ticket_id)
    return ticket
