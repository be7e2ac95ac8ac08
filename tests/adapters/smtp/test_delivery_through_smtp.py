"""The outbox delivered through a real SMTP relay (aiosmtpd with STARTTLS and AUTH): retries with
backoff, each notice sent at most once, refusals given up; and the alert e-mail end to end, from
the sandbox's settings to the relay's mailbox."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.smtp import SmtpMailer
from domain.model.alerts import Metric
from domain.model.notices import REFUSED_TRIES, NoticeStatus, backoff
from domain.usecases.actors import Actor
from domain.usecases.notices import DeliveryReport, deliver_notices
from entrypoints.config import Settings, load_settings
from entrypoints.mail import make_mailer
from entrypoints.scheduler.ticks import TICKS
from ports.messaging import Mailer
from tests.backoffice import Backoffice
from tests.usecases.support import SETTINGS, World

from .relay import Relay, running_relay


@pytest.fixture
def relay(tmp_path: Path) -> Iterator[Relay]:
    with running_relay(tmp_path) as running:
        yield running


def _world(settings: Settings = SETTINGS, *, mailer: Mailer | None = None) -> World:
    return World(Backoffice(settings, mailer=mailer or make_mailer(settings)))


def _mailed_to(relay: Relay, address: str) -> list[str]:
    return [d.message["Subject"] for d in relay.delivered if d.rcpt_tos == [address]]


@pytest.fixture
def world(relay: Relay) -> World:
    return _world(mailer=SmtpMailer(relay.settings()))


@pytest.fixture
def customer(world: World) -> Actor:
    actor = world.customer()
    assert deliver_notices(world.rt) == DeliveryReport(sent=2, failed=0)  # two welcomes
    return actor


def test_a_451_then_250_is_retried_once_and_sent_once(
    world: World, relay: Relay, customer: Actor
) -> None:
    world.running_server(customer, name="web-1")
    relay.handler.answers.append("451 4.3.0 mailbox busy, try again later")
    commands = relay.handler.data_commands

    assert deliver_notices(world.rt) == DeliveryReport(sent=0, failed=1)
    world.clock.advance(backoff(1))
    assert deliver_notices(world.rt) == DeliveryReport(sent=1, failed=0)
    world.clock.advance(dt.timedelta(hours=2))
    assert deliver_notices(world.rt) == DeliveryReport(0, 0)

    ready = world.notices(customer)[-1]
    assert (ready.status, ready.attempts) == (NoticeStatus.SENT, 2)
    assert relay.handler.data_commands - commands == 2
    mailed = [
        d for d in relay.delivered if d.message["Message-ID"] == f"<notice-{ready.id}@hostprovider>"
    ]
    assert len(mailed) == 1 and mailed[0].message["Subject"] == "Your server web-1 is ready"


def test_a_connection_dropped_mid_data_is_tried_again_and_sent_once(
    world: World, relay: Relay, customer: Actor
) -> None:
    world.running_server(customer)
    relay.handler.drops = 1

    assert deliver_notices(world.rt) == DeliveryReport(sent=0, failed=1)
    ready = world.notices(customer)[-1]
    assert ready.status is NoticeStatus.PENDING and "127.0.0.1" in (ready.last_error or "")
    world.clock.advance(backoff(1))
    assert deliver_notices(world.rt) == DeliveryReport(sent=1, failed=0)

    to = world.notices(customer)[0].to
    assert _mailed_to(relay, to).count(ready.subject) == 1


def test_a_5xx_is_marked_failed_after_its_tries(
    world: World, relay: Relay, customer: Actor
) -> None:
    world.running_server(customer)
    relay.handler.answers.extend(["554 5.7.1 message refused"] * REFUSED_TRIES)
    commands = relay.handler.data_commands

    for _ in range(REFUSED_TRIES + 2):
        deliver_notices(world.rt)
        world.clock.advance(dt.timedelta(hours=1))

    ready = world.notices(customer)[-1]
    assert (ready.status, ready.attempts) == (NoticeStatus.FAILED, REFUSED_TRIES)
    assert ready.last_error == "554 5.7.1 message refused"
    assert relay.handler.data_commands - commands == REFUSED_TRIES
    assert ready.subject not in _mailed_to(relay, ready.to)


def _tick(world: World, name: str) -> None:
    next(t for t in TICKS if t.name == name).run(world.rt)


def test_a_sandbox_cpu_at_95_mails_once_and_70_clears_it_without_a_second_mail(
    relay: Relay,
) -> None:
    env = {
        **relay.environment(),
        "HOSTPROVIDER_SANDBOX_TASK_SECONDS": str(SETTINGS.sandbox_task_seconds),
        "HOSTPROVIDER_ARGON2_TIME_COST": "1",
        "HOSTPROVIDER_ARGON2_MEMORY_KIB": "8192",
        "HOSTPROVIDER_ARGON2_PARALLELISM": "1",
    }
    sandbox = _world(load_settings(env, dotenv=None))  # the mailer the settings choose
    alice = sandbox.customer()
    server = sandbox.running_server(alice, name="db-1")
    address = sandbox.notices(alice)[0].to
    assert server.placement.vmid is not None

    sandbox.hypervisor.set_usage(server.placement.vmid, cpu=0.95)
    _tick(sandbox, "monitoring")
    _tick(sandbox, "notices")
    assert _mailed_to(relay, address) == [
        "Welcome to Oxnack",
        "Your server db-1 is ready",
        "Server db-1: cpu at 95%",
    ]
    alert = relay.delivered[-1]
    assert alert.over_tls and alert.login == "mailer"

    for _ in range(3):  # passes over the next half hour
        sandbox.clock.advance(dt.timedelta(minutes=10))
        sandbox.hypervisor.set_usage(server.placement.vmid, cpu=0.70)
        _tick(sandbox, "monitoring")
        _tick(sandbox, "notices")
    with sandbox.rt.uow() as uow:
        assert uow.metrics.alert_state(server.id, Metric.CPU).active is False  # cleared
    assert len(_mailed_to(relay, address)) == 3  # and no second e-mail within the hour
    assert [e["alerts"][0]["event"] for e in sandbox.events.on("server-alerts")] == [
        "raised",
        "cleared",
    ]
