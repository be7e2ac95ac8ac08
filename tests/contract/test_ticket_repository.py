"""Support tickets on both stores: a ticket comes back with every message as written, in order;
updates add messages and never lose one; lists are newest first, by owner or by status; a
rollback forgets everything."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest

from domain.model.errors import Conflict
from domain.model.tickets import Author, Ticket, TicketStatus
from ports.paging import Page

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


def test_two_writers_at_once_both_keep_their_message(uow_factory):
    """A reply and a customer's message racing on one ticket: the second waits for the first's
    hold on the ticket, then adds after it; neither message is lost, neither is refused."""
    with uow_factory() as uow:
        ticket = _ticket(uow, owner=7)
        uow.commit()
    first_holds = threading.Event()

    def write(author: Author, text: str, wait: threading.Event | None) -> None:
        if wait is not None:
            wait.wait(5)
        with uow_factory() as uow:
            held = uow.tickets.get(ticket.id, for_update=True)
            if wait is None:
                first_holds.set()
                time.sleep(0.3)  # the other writer reaches the ticket meanwhile
            uow.tickets.update(held.written(author, 1, text, T0))
            uow.commit()

    writers = [
        threading.Thread(target=write, args=(Author.STAFF, "answer", None)),
        threading.Thread(target=write, args=(Author.CUSTOMER, "more", first_holds)),
    ]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(10)

    with uow_factory() as uow:
        stored = uow.tickets.get(ticket.id)
    assert [m.body for m in stored.messages] == [TEXT, "answer", "more"]
    assert stored.status is TicketStatus.OPEN


def test_an_update_from_a_stale_read_is_refused_and_loses_nothing(uow_factory):
    with uow_factory() as uow:
        ticket = _ticket(uow, owner=7)
        uow.commit()
    with uow_factory() as uow:
        uow.tickets.update(ticket.written(Author.STAFF, 1, "answer", T0))
        uow.commit()
    with uow_factory() as uow, pytest.raises(Conflict):
        uow.tickets.update(ticket.written(Author.CUSTOMER, 7, "from an old read", T0))
    with uow_factory() as uow:
        assert [m.body for m in uow.tickets.get(ticket.id).messages] == [TEXT, "answer"]
