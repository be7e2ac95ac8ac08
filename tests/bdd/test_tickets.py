"""Support tickets (features/tickets.feature), on the use cases over the fakes."""

from __future__ import annotations

import pytest
from pytest_bdd import given, parsers, scenarios, then, when

from domain.model.tickets import Ticket, TicketStatus
from domain.usecases import tickets as uc
from tests.bdd.steps.common import NAME, Outcome, Shop, attempt

scenarios("tickets.feature")

SUBJECT = r'"(?P<subject>[^"]+)"'


@pytest.fixture
def opened() -> dict[str, int]:
    """Ticket ids by subject."""
    return {}


def _open(shop: Shop, opened: dict[str, int], name: str, subject: str, **extra: object) -> Outcome:
    message = str(extra.pop("message", "Please help."))
    command = uc.OpenTicket(subject, message, **extra)  # type: ignore[arg-type]
    outcome = attempt(lambda: uc.open_ticket(shop.rt, shop.customer(name).actor, command))
    if outcome.accepted:
        opened[subject] = outcome.value.id
    return outcome


@given(parsers.re(rf"^{NAME} has opened a ticket {SUBJECT}$"))
def _has_opened(shop: Shop, opened: dict[str, int], name: str, subject: str) -> None:
    _open(shop, opened, name, subject).result()


@when(
    parsers.re(rf'^{NAME} opens a ticket {SUBJECT} saying "(?P<message>[^"]+)"$'),
    target_fixture="outcome",
)
def _opens(shop: Shop, opened: dict[str, int], name: str, subject: str, message: str) -> Outcome:
    return _open(shop, opened, name, subject, message=message)


@when(
    parsers.re(
        rf'^{NAME} opens a ticket {SUBJECT} about the server "(?P<server>[^"]+)"'
        r' saying "(?P<message>[^"]+)"$'
    ),
    target_fixture="outcome",
)
def _opens_about(
    shop: Shop, opened: dict[str, int], name: str, subject: str, server: str, message: str
) -> Outcome:
    return _open(shop, opened, name, subject, message=message, server_id=shop.server_id(server))


@given(parsers.re(rf"^{NAME} has written (?P<count>\d+) times to support within the hour$"))
def _has_written(shop: Shop, opened: dict[str, int], name: str, count: str) -> None:
    for n in range(int(count)):
        _open(shop, opened, name, f"question {n}").result()


@when(
    parsers.re(rf'^{NAME} writes "(?P<message>[^"]+)" in the ticket {SUBJECT}$'),
    target_fixture="outcome",
)
def _writes(shop: Shop, opened: dict[str, int], name: str, message: str, subject: str) -> Outcome:
    command = uc.WriteMessage(opened[subject], message)
    return attempt(lambda: uc.write_message(shop.rt, shop.customer(name).actor, command))


@when(parsers.re(rf"^{NAME} reads the ticket {SUBJECT}$"), target_fixture="outcome")
def _reads(shop: Shop, opened: dict[str, int], name: str, subject: str) -> Outcome:
    ref = uc.TicketRef(opened[subject])
    return attempt(lambda: uc.my_ticket(shop.rt, shop.customer(name).actor, ref))


@when(parsers.re(rf"^{NAME} closes the ticket {SUBJECT}$"))
def _closes(shop: Shop, opened: dict[str, int], name: str, subject: str) -> None:
    uc.close_ticket(shop.rt, shop.customer(name).actor, uc.TicketRef(opened[subject]))


@given(parsers.re(rf'^support has answered the ticket {SUBJECT} with "(?P<message>[^"]+)"$'))
@when(parsers.re(rf'^support answers the ticket {SUBJECT} with "(?P<message>[^"]+)"$'))
def _answers(shop: Shop, opened: dict[str, int], subject: str, message: str) -> None:
    uc.reply(shop.rt, shop.admin, uc.WriteMessage(opened[subject], message))


def _ticket(shop: Shop, opened: dict[str, int], subject: str) -> Ticket:
    return uc.any_ticket(shop.rt, shop.admin, uc.TicketRef(opened[subject]))


@then(parsers.re(rf"^the ticket {SUBJECT} is (?P<status>open|answered|waiting|closed)$"))
def _status(shop: Shop, opened: dict[str, int], subject: str, status: str) -> None:
    assert _ticket(shop, opened, subject).status is TicketStatus(status)


@then(parsers.re(rf"^the ticket {SUBJECT} reads (?P<messages>.+)$"))
def _reads_messages(shop: Shop, opened: dict[str, int], subject: str, messages: str) -> None:
    expected = [part.strip().strip('"') for part in messages.split('", "')]
    assert [m.body for m in _ticket(shop, opened, subject).messages] == expected


@then(parsers.re(rf"^{NAME} has no tickets$"))
def _no_tickets(shop: Shop, name: str) -> None:
    assert uc.my_tickets(shop.rt, shop.customer(name).actor, uc.TicketQuery()) == ([], 0)
