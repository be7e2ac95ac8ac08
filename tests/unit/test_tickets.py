"""The ticket's rules: whose turn the status says, what a message may be, and where a ticket
stops taking messages."""

from __future__ import annotations

import datetime as dt

import pytest

from domain.model.errors import InvalidTransition, RuleViolation, ValidationError
from domain.model.tickets import (
    MESSAGE_MAX,
    MESSAGES_PER_TICKET,
    SUBJECT_MAX,
    Author,
    Ticket,
    TicketStatus,
)

T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
LATER = T0 + dt.timedelta(hours=1)


def _ticket() -> Ticket:
    return Ticket.open(1, 7, "Slow disk", "  It is slow.\n", T0, server_id=3)


def test_a_new_ticket_is_open_with_the_customers_message_as_written() -> None:
    ticket = _ticket()

    assert (ticket.status, ticket.server_id, ticket.created_at) == (TicketStatus.OPEN, 3, T0)
    [message] = ticket.messages
    assert (message.author, message.author_id, message.body) == (
        Author.CUSTOMER,
        7,
        "  It is slow.\n",
    )


def test_staff_answer_and_the_customers_reply_pass_the_turn() -> None:
    answered = _ticket().written(Author.STAFF, 1, "Moved it.", LATER)
    reopened = answered.written(Author.CUSTOMER, 7, "Still slow.", LATER)

    assert (answered.status, answered.updated_at) == (TicketStatus.ANSWERED, LATER)
    assert reopened.status is TicketStatus.OPEN
    assert [m.author for m in reopened.messages] == [Author.CUSTOMER, Author.STAFF, Author.CUSTOMER]


def test_a_closed_ticket_takes_no_message_and_a_status_it_has_changes_nothing() -> None:
    closed = _ticket().with_status(TicketStatus.CLOSED, LATER)

    with pytest.raises(InvalidTransition):
        closed.written(Author.STAFF, 1, "one more", LATER)
    assert closed.with_status(TicketStatus.CLOSED, LATER + LATER.resolution) is closed


def test_a_ticket_holds_a_bounded_number_of_messages() -> None:
    ticket = _ticket()
    for n in range(MESSAGES_PER_TICKET - 1):
        ticket = ticket.written(Author.CUSTOMER, 7, f"{n}", LATER)

    with pytest.raises(RuleViolation):
        ticket.written(Author.STAFF, 1, "one too many", LATER)


@pytest.mark.parametrize(
    ("subject", "message"),
    [
        ("", "m"),
        (" \t", "m"),
        ("two\nlines", "m"),
        ("x" * (SUBJECT_MAX + 1), "m"),
        ("s", ""),
        ("s", " \n\n "),
        ("s", "x" * (MESSAGE_MAX + 1)),
    ],
)
def test_a_blank_or_oversized_subject_or_message_is_refused(subject: str, message: str) -> None:
    with pytest.raises(ValidationError):
        Ticket.open(1, 7, subject, message, T0)
