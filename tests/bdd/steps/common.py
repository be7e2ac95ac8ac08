"""The shop the specs run against, and the steps every feature shares: people, time, the background
workers, refusals and notices.

A scenario gets a fresh `shop`: the container wired with fakes and the sandbox catalogue, on a
FakeClock. Steps talk to the use cases through `shop.rt`; outcomes of a When step travel to the Then
steps through the `outcome` fixture.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import attrs
import pytest
from pytest_bdd import given, parsers, then, when

from adapters.memory import InlineJobQueue
from domain.model.accounts import Role
from domain.model.catalogue import Catalogue, Location, OsImage, Tariff
from domain.model.commands import BalanceAdjustment, NewAccount
from domain.model.errors import DomainError
from domain.model.money import Money
from domain.model.server import Server
from domain.usecases import accounts, money, notices
from domain.usecases.actors import Actor
from domain.usecases.catalogue import current_catalogue
from domain.usecases.servers import get_server
from tests.backoffice import FAST, Backoffice, OnBackoffice

CURRENCY = "RUB"
PASSWORD = "correct horse battery"
NAME = r"(?P<name>[A-Z][a-z]+)"


# --- the world -----------------------------------------------------------------------------------


@attrs.frozen
class Customer:
    name: str
    email: str
    actor: Actor

    @property
    def id(self) -> int:
        return self.actor.account_id


@attrs.define
class Shop(OnBackoffice):
    """One back office wired with fakes, plus the names the scenario gave to what it made."""

    office: Backoffice
    customers: dict[str, Customer] = attrs.field(factory=dict)
    server_ids: dict[str, int] = attrs.field(factory=dict)
    root_passwords: dict[str, str] = attrs.field(factory=dict)
    _admin: Actor | None = None

    @property
    def job_queue(self) -> InlineJobQueue:
        return self.office.jobs

    @property
    def catalogue(self) -> Catalogue:
        return current_catalogue(self.rt)

    @property
    def admin(self) -> Actor:
        if self._admin is None:
            account = accounts.register(
                self.rt, NewAccount("admin@example.com", PASSWORD, role=Role.ADMIN)
            )
            self._admin = Actor(account.id, account.role)
        return self._admin

    def customer(self, name: str) -> Customer:
        return self.customers[name]

    def customer_of(self, account_id: int) -> Customer:
        return next(c for c in self.customers.values() if c.id == account_id)

    def server_id(self, server: str) -> int:
        return self.server_ids[server]

    def server(self, server: str) -> Server:
        """The server as an administrator sees it: whatever its state, deleted included."""
        return get_server(self.rt, self.admin, self.server_id(server))

    def location(self, city: str) -> Location:
        return next(
            loc for loc in self.catalogue.locations if city in (loc.city, loc.name, loc.code)
        )

    def image(self, name: str) -> OsImage:
        return next(image for image in self.catalogue.images if image.name == name)

    def tariff(self, name: str) -> Tariff:
        return next(tariff for tariff in self.catalogue.tariffs if tariff.name == name)


def open_shop(**settings: Any) -> Shop:
    # Hypervisor tasks end at once: time moves only when a step says so. Webhooks follow the
    # product's rule, not the sandbox's.
    changes = {"sandbox_task_seconds": 0, "webhooks_allow_private": False, **settings}
    return Shop(Backoffice(attrs.evolve(FAST, **changes)))


@pytest.fixture
def shop() -> Shop:
    return open_shop()


@given(parsers.parse("usage is billed every {seconds:d} seconds"), target_fixture="shop")
def _billing_period(seconds: int) -> Shop:
    return open_shop(billing_period_seconds=seconds)


# --- outcomes ------------------------------------------------------------------------------------


@attrs.frozen
class Outcome:
    """What a request gave back, or the domain error it was refused with."""

    value: Any = None
    error: DomainError | None = None

    @property
    def accepted(self) -> bool:
        return self.error is None

    def result(self) -> Any:
        if self.error is not None:
            raise AssertionError(f"expected success, got {self.error.code}: {self.error.message}")
        return self.value


def attempt(call: Callable[[], Any]) -> Outcome:
    try:
        return Outcome(value=call())
    except DomainError as ex:
        return Outcome(error=ex)


def code_of(words: str) -> str:
    return words.strip().replace(" ", "_")


@then(parsers.re(r"^(?:the|that) (?:order|request|registration) is refused as (?P<words>[a-z ]+)$"))
def _refused(outcome: Outcome, words: str) -> None:
    assert outcome.error is not None, f"expected a refusal, got {outcome.value!r}"
    assert outcome.error.code == code_of(words), f"{outcome.error.code}: {outcome.error.message}"


@then(parsers.parse('the reason given is "{fragment}"'))
def _reason(outcome: Outcome, fragment: str) -> None:
    assert outcome.error is not None, f"expected a refusal, got {outcome.value!r}"
    assert fragment in outcome.error.message, outcome.error.message


# --- amounts and time ----------------------------------------------------------------------------


def amount(text: str) -> Money:
    return Money.parse(text, CURRENCY)


def same_money(actual: Money, expected: str) -> None:
    assert actual == amount(expected), f"expected {expected}, got {actual.format(6)}"


_PART = re.compile(r"(\d+) (day|hour|minute|second)s?")
_UNIT = r"\d+ (?:day|hour|minute|second)s?"
DURATION = rf"(?P<duration>{_UNIT}(?:(?:,| and) {_UNIT})*)"


def parse_duration(text: str) -> dt.timedelta:
    total = dt.timedelta()
    for count, unit in _PART.findall(text):
        total += dt.timedelta(**{f"{unit}s": int(count)})
    return total


@given(parsers.re(rf"^{DURATION} pass(?:es)?$"))
@when(parsers.re(rf"^{DURATION} pass(?:es)?$"))
def _time_passes(shop: Shop, duration: str) -> None:
    shop.clock.advance(parse_duration(duration))


@given(parsers.re(r"^it is (?P<moment>\d{4}-\d{2}-\d{2} \d{2}:\d{2})$"))
@when(parsers.re(r"^it is (?P<moment>\d{4}-\d{2}-\d{2} \d{2}:\d{2})$"))
def _it_is(shop: Shop, moment: str) -> None:
    shop.clock.set(dt.datetime.strptime(moment, "%Y-%m-%d %H:%M").replace(tzinfo=dt.UTC))


# --- people --------------------------------------------------------------------------------------


def email_of(name: str) -> str:
    return f"{name.lower()}@example.com"


def sign_up(shop: Shop, name: str, balance: str | None = None) -> Customer:
    account = accounts.register(shop.rt, NewAccount(email_of(name), PASSWORD))
    customer = Customer(name, account.email, Actor(account.id, account.role))
    shop.customers[name] = customer
    if balance is not None and not amount(balance).is_zero:
        money.adjust_balance(
            shop.rt,
            shop.admin,
            BalanceAdjustment(
                customer.id, balance, "opening balance", request_key=f"opening-{name}"
            ),
        )
    return customer


@given(parsers.re(rf"^{NAME} has an account$"))
def _has_account(shop: Shop, name: str) -> None:
    sign_up(shop, name)


@given(parsers.re(rf"^{NAME} has an account with a balance of (?P<balance>-?\d+\.\d+)$"))
def _has_account_with_balance(shop: Shop, name: str, balance: str) -> None:
    sign_up(shop, name, balance)


# --- the background workers ----------------------------------------------------------------------


@given("the background workers are busy")
def _workers_busy(shop: Shop) -> None:
    shop.job_queue.auto_run = False


def catch_up(shop: Shop) -> None:
    shop.job_queue.auto_run = True
    shop.job_queue.run_pending()
    assert not shop.job_queue.failed, shop.job_queue.failed


@when("the background workers catch up")
def _workers_catch_up(shop: Shop) -> None:
    catch_up(shop)


# --- notices -------------------------------------------------------------------------------------


def subjects_received(shop: Shop, email: str) -> list[str]:
    """What reached the customer's mailbox once the outbox has been delivered."""
    notices.deliver_notices(shop.rt)
    return [mail.subject for mail in shop.mailer.to(email)]


@then(parsers.re(rf'^{NAME} is told "(?P<subject>[^"]+)"$'))
def _customer_told(shop: Shop, name: str, subject: str) -> None:
    received = subjects_received(shop, shop.customer(name).email)
    assert subject in received, received


@then(parsers.re(r'^"(?P<email>[^"]+)" is told "(?P<subject>[^"]+)"$'))
def _address_told(shop: Shop, email: str, subject: str) -> None:
    received = subjects_received(shop, email)
    assert subject in received, received


@then(parsers.re(rf'^{NAME} has received (?P<count>\d+) notices? about "(?P<start>[^"]+)"$'))
def _notices_about(shop: Shop, name: str, count: str, start: str) -> None:
    received = subjects_received(shop, shop.customer(name).email)
    matching = [s for s in received if s.startswith(start)]
    assert len(matching) == int(count), received
