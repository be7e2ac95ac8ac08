"""The back office every test harness runs (`World` for the use cases, `Shop` for the specs, `Api`
for HTTP): the composition root's test wiring, built once here, with a typed handle on each part.

`FAST` are the settings of every fake-backed test: a shared secret key, and argon2 at the cheapest
parameters it takes, since a hash at production cost (64 MiB, 3 passes) costs tens of
milliseconds and every test registers and logs people in. The tests about hashing build their
hasher themselves; production's cost stays the default of `Settings` (tests/entrypoints).
"""

from __future__ import annotations

import datetime as dt
from typing import TypeVar

from adapters.memory import (
    FakeClock,
    FakeHypervisor,
    FakeNetworkFabric,
    InlineJobQueue,
    InMemoryStore,
    RecordingEventPublisher,
    RecordingMailer,
)
from adapters.memory.throttle import MemoryCounters
from adapters.memory.webhooks import RecordingWebhookReceiver
from domain.usecases.runtime import Runtime
from entrypoints.config import Settings
from entrypoints.container import Container, for_tests
from entrypoints.sandbox import sandbox_hypervisor, seed
from entrypoints.test_parts import TestParts
from ports.hypervisor import Hypervisor
from ports.messaging import EventPublisher, Mailer
from ports.network import NetworkFabric
from ports.payments import PaymentGateway
from ports.security import PasswordHasher
from ports.throttle import Counters
from ports.unit_of_work import UnitOfWorkFactory
from ports.webhooks import WebhookSender

FAST = Settings(
    secret_key=b"k" * 32,
    argon2_time_cost=1,
    argon2_memory_kib=8,
    argon2_parallelism=1,
    sandbox_task_seconds=5,
)
START = dt.datetime(2026, 1, 15, 10, 0, 0, tzinfo=dt.UTC)

T = TypeVar("T")


class Backoffice:
    """One back office. Each part not given is the sandbox's fake; a test that gives a real
    adapter (a Proxmox simulator's, a PostgreSQL store) keeps its own handle on it. The sandbox
    catalogue is published unless `catalogue=False`."""

    def __init__(
        self,
        settings: Settings = FAST,
        *,
        clock: FakeClock | None = None,
        store: UnitOfWorkFactory | None = None,
        jobs: InlineJobQueue | None = None,
        hypervisor: Hypervisor | None = None,
        fabric: NetworkFabric | None = None,
        mailer: Mailer | None = None,
        events: EventPublisher | None = None,
        webhooks: WebhookSender | None = None,
        counters: Counters | None = None,
        hasher: PasswordHasher | None = None,
        payments: PaymentGateway | None = None,
        catalogue: bool = True,
    ) -> None:
        self.settings = settings
        self.clock = clock if clock is not None else FakeClock(START)
        self.jobs = jobs if jobs is not None else InlineJobQueue(auto_run=True)
        self.parts = TestParts(
            clock=self.clock,
            store=store if store is not None else InMemoryStore(self.jobs),
            jobs=self.jobs,
            hypervisor=hypervisor
            if hypervisor is not None
            else sandbox_hypervisor(self.clock, settings.sandbox_task_seconds, settings.currency),
            fabric=fabric if fabric is not None else FakeNetworkFabric(),
            mailer=mailer if mailer is not None else RecordingMailer(),
            events=events if events is not None else RecordingEventPublisher(),
            webhooks=webhooks if webhooks is not None else RecordingWebhookReceiver(),
            counters=counters if counters is not None else MemoryCounters(),
            hasher=hasher,
            payments=payments,
        )
        self.container: Container = for_tests(settings, self.parts)
        self.rt: Runtime = self.container.runtime()
        if catalogue:
            seed(self.rt.uow, settings.currency)

    # --- the fakes, where the test runs on them ---------------------------------------------------
    @property
    def store(self) -> InMemoryStore:
        return _the(InMemoryStore, self.parts.store)

    @property
    def hypervisor(self) -> FakeHypervisor:
        return _the(FakeHypervisor, self.parts.hypervisor)

    @property
    def fabric(self) -> FakeNetworkFabric:
        return _the(FakeNetworkFabric, self.parts.fabric)

    @property
    def mailer(self) -> RecordingMailer:
        return _the(RecordingMailer, self.parts.mailer)

    @property
    def events(self) -> RecordingEventPublisher:
        return _the(RecordingEventPublisher, self.parts.events)

    @property
    def webhooks(self) -> RecordingWebhookReceiver:
        return _the(RecordingWebhookReceiver, self.parts.webhooks)


class OnBackoffice:
    """The typed handles of a harness over a back office (`World`, `Shop`, `Api`)."""

    office: Backoffice

    @property
    def clock(self) -> FakeClock:
        return self.office.clock

    @property
    def rt(self) -> Runtime:
        return self.office.rt

    @property
    def jobs(self) -> InlineJobQueue:
        return self.office.jobs

    @property
    def store(self) -> InMemoryStore:
        return self.office.store

    @property
    def hypervisor(self) -> FakeHypervisor:
        return self.office.hypervisor

    @property
    def fabric(self) -> FakeNetworkFabric:
        return self.office.fabric

    @property
    def mailer(self) -> RecordingMailer:
        return self.office.mailer

    @property
    def events(self) -> RecordingEventPublisher:
        return self.office.events

    @property
    def webhooks(self) -> RecordingWebhookReceiver:
        return self.office.webhooks


def _the(kind: type[T], part: object) -> T:
    assert isinstance(part, kind), f"this back office runs {type(part).__name__}, not the fake"
    return part
