"""Support tickets: a customer's question and the conversation with staff about it.

A ticket belongs to one customer and may name one of their servers. Messages are plain text, kept
exactly as written (no trimming, no markup: whoever shows them escapes them), and only ever added.
The status says whose turn it is: `open` waits for staff, `answered` and `waiting` for the
customer (`waiting`: staff asked for something), `closed` ends the conversation. A customer's
message makes a ticket open again; a staff reply makes it answered; staff may set any status; a
closed ticket takes no more messages until staff opens it again.
"""

from __future__ import annotations

import datetime as dt
import enum

import attrs

from domain.model.errors import InvalidTransition, RuleViolation, ValidationError

SUBJECT_MAX = 200
MESSAGE_MAX = 10_000
MESSAGES_PER_TICKET = 200
# Tickets opened and messages written by one customer per window: enough for any conversation,
# few enough that nobody floods the support queue (or the staff's mail).
CUSTOMER_WRITES = 30
CUSTOMER_WINDOW = dt.timedelta(hours=1)


def writes_key(account_id: int) -> str:
    """The throttle key (ports/throttle.py) of what one customer writes."""
    return f"tickets:account:{account_id}"


class TicketStatus(enum.Enum):
    OPEN = "open"
    ANSWERED = "answered"
    WAITING = "waiting"
    CLOSED = "closed"


class Author(enum.Enum):
    CUSTOMER = "customer"
    STAFF = "staff"


def check_subject(subject: str) -> str:
    if not subject.strip():
        raise ValidationError("subject", "must not be blank")
    if len(subject) > SUBJECT_MAX or any(c in subject for c in "\r\n"):
        raise ValidationError("subject", f"must be one line of at most {SUBJECT_MAX} characters")
    return subject


def check_message(text: str) -> str:
    if not text.strip():
        raise ValidationError("message", "must not be blank")
    if len(text) > MESSAGE_MAX:
        raise ValidationError("message", f"must be at most {MESSAGE_MAX} characters")
    return text


@attrs.frozen
class TicketMessage:
    author: Author
    author_id: int  # the customer, or the member of staff who answered
    body: str
    at: dt.datetime


@attrs.frozen
class Ticket:
    id: int
    owner_id: int
    subject: str
    status: TicketStatus
    created_at: dt.datetime
    updated_at: dt.datetime
    messages: tuple[TicketMessage, ...]
    server_id: int | None = None

    @classmethod
    def open(
        cls,
        ticket_id: int,
        owner_id: int,
        subject: str,
        message: str,
        now: dt.datetime,
        server_id: int | None = None,
    ) -> Ticket:
        first = TicketMessage(Author.CUSTOMER, owner_id, check_message(message), now)
        return cls(
            ticket_id,
            owner_id,
            check_subject(subject),
            TicketStatus.OPEN,
            now,
            now,
            (first,),
            server_id,
        )

    def written(self, author: Author, author_id: int, text: str, now: dt.datetime) -> Ticket:
        """The ticket with one more message: the customer's opens it again, staff's answers it."""
        if self.status is TicketStatus.CLOSED:
            raise InvalidTransition("ticket", self.status.value, "add a message")
        if len(self.messages) >= MESSAGES_PER_TICKET:
            raise RuleViolation(
                "message", f"a ticket holds at most {MESSAGES_PER_TICKET} messages; open a new one"
            )
        message = TicketMessage(author, author_id, check_message(text), now)
        status = TicketStatus.OPEN if author is Author.CUSTOMER else TicketStatus.ANSWERED
        return attrs.evolve(self, messages=(*self.messages, message), status=status, updated_at=now)

    def with_status(self, status: TicketStatus, now: dt.datetime) -> Ticket:
        if status is self.status:
            return self
        return attrs.evolve(self, status=status, updated_at=now)
