"""Support tickets on both stores: a ticket comes back with every message as written, in order;
updates add messages and never lose one; lists are newest first, by owner or by status; a
rollback forgets everything."""

from __future__ import annotations

import datetime as dt

from domain.model.tickets import Author, Ticket, TicketStatus
from ports.records import Page

from . import builders as b

T0 = b.T0
TEXT = "  <b>as written</b>\n\nwith 'quotes', \"more\", ünïcödé, кириллица and trailing space "


def _ticket(uow, owner: int, subject: str = "help", server_id: int | None = None) -> Ticket:
    ticket = Ticket.open(uow.tickets.next_id(), owner, subject, TEXT, T0, server_id)
    uow.tickets.add(ticket)
    return ticket


def test_a_ticket_comes_back_with_its_messages_exactly_as_written(uow_factory):
    with uow_factory() as uow:
        ticket = _ticket(uow, owner=7, server_id=42)
        uow.commit()
    with uow_factory() as uow:
        assert uow.tickets.get(ticket.id) == ticket
        assert uow.tickets.get(ticket.id + 1000) is None


def test_an_update_adds_the_new_messages_and_the_status(uow_factory):
    later = T0 + dt.timedelta(minutes=5)
    with uow_factory() as uow:
        ticket = _ticket(uow, owner=7)
        uow.commit()
    with uow_factory() as uow:
        held = uow.tickets.get(ticket.id, for_update=True)
        answered = held.written(Author.STAFF, 1, "answer", later)
        answered = answered.written(Author.CUSTOMER, 7, "thanks", later)
        uow.tickets.update(answered.with_status(TicketStatus.CLOSED, later))
        uow.commit()
    with uow_factory() as uow:
        stored = uow.tickets.get(ticket.id)
    assert [m.body for m in stored.messages] == [TEXT, "answer", "thanks"]
    assert [m.author for m in stored.messages] == [Author.CUSTOMER, Author.STAFF, Author.CUSTOMER]
    assert (stored.status, stored.updated_at, stored.created_at) == (
        TicketStatus.CLOSED,
        later,
        T0,
    )


def test_lists_are_newest_first_by_owner_and_by_status(uow_factory):
    with uow_factory() as uow:
        mine = [_ticket(uow, owner=7, subject=f"q{n}") for n in range(3)]
        other = _ticket(uow, owner=8)
        uow.tickets.update(mine[1].with_status(TicketStatus.WAITING, T0))
        uow.commit()
    with uow_factory() as uow:
        page_one, total = uow.tickets.for_owner(7, Page(1, 2))
        page_two, _ = uow.tickets.for_owner(7, Page(2, 2))
        waiting, waiting_total = uow.tickets.list(TicketStatus.WAITING, Page())
        everything, everything_total = uow.tickets.list(None, Page())
        opened, _ = uow.tickets.list(TicketStatus.OPEN, Page())
    assert total == 3 and [t.id for t in page_one + page_two] == [t.id for t in mine[::-1]]
    assert page_one[0].messages == mine[2].messages  # list items carry their messages too
    assert ([t.id for t in waiting], waiting_total) == ([mine[1].id], 1)
    assert everything_total == 4 and everything[0].id == other.id
    assert [t.id for t in opened] == [other.id, mine[2].id, mine[0].id]


def test_a_rolled_back_ticket_is_gone_and_its_id_is_not_handed_out_again(uow_factory):
    with uow_factory() as uow:
        dropped = _ticket(uow, owner=7)
    with uow_factory() as uow:
        assert uow.tickets.get(dropped.id) is None
        kept = _ticket(uow, owner=7)
        uow.commit()
    assert kept.id > dropped.id
