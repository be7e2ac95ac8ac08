"""The composition root: the only place that picks adapters.

With no database configured everything is in memory (the sandbox and the acceptance specs); the real
adapters join here as their issues land, chosen by configuration. A real adapter that is configured
but unreachable fails at start-up; nothing falls back to a fake silently.
"""

from __future__ import annotations

import datetime as dt

from dependency_injector import containers, providers

from adapters.clock import SystemClock
from adapters.memory import (
    FakeHypervisor,
    FakeNetworkFabric,
    InlineJobQueue,
    InMemoryStore,
    RecordingEventPublisher,
    RecordingMailer,
)
from adapters.security import Argon2PasswordHasher, SystemSecretGenerator
from domain.usecases.runtime import Policy, Runtime
from entrypoints import sandbox
from entrypoints.config import ConfigError, Settings
from entrypoints.tasks import make_dispatch
from ports.clock import Clock


def _policy(settings: Settings) -> Policy:
    return Policy(
        quote_key=settings.quote_key,
        currency=settings.currency,
        billing_period_seconds=settings.billing_period_seconds,
        session_ttl=dt.timedelta(hours=settings.session_ttl_hours),
    )


def _hypervisor(clock: Clock, settings: Settings) -> FakeHypervisor:
    hypervisor = FakeHypervisor(clock)
    hypervisor.durations = {op: settings.sandbox_task_seconds for op in hypervisor.durations}
    for location_id, name in sandbox.sandbox_nodes():
        hypervisor.add_node(location_id, name, **sandbox.NODE_CAPACITY)
    return hypervisor


def _store(job_queue: InlineJobQueue) -> InMemoryStore:
    return InMemoryStore(job_queue)


def _require_memory(settings: Settings) -> Settings:
    if not settings.sandbox:
        raise ConfigError(
            "HOSTPROVIDER_DATABASE_URL is set, but the PostgreSQL adapter is not part of this "
            "build yet; unset it to run the in-memory sandbox"
        )
    return settings


class Container(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    checked_settings = providers.Singleton(_require_memory, settings)

    clock = providers.Singleton(SystemClock)
    job_queue = providers.Singleton(InlineJobQueue, auto_run=True)
    store = providers.Singleton(_store, job_queue)
    hypervisor = providers.Singleton(_hypervisor, clock, checked_settings)
    fabric = providers.Singleton(FakeNetworkFabric)
    mailer = providers.Singleton(RecordingMailer)
    events = providers.Singleton(RecordingEventPublisher)
    hasher = providers.Singleton(
        Argon2PasswordHasher,
        time_cost=settings.provided.argon2_time_cost,
        memory_cost=settings.provided.argon2_memory_kib,
        parallelism=settings.provided.argon2_parallelism,
    )
    secrets = providers.Singleton(SystemSecretGenerator)
    policy = providers.Singleton(_policy, settings)

    runtime = providers.Singleton(
        Runtime,
        uow=store,
        clock=clock,
        hasher=hasher,
        secrets=secrets,
        hypervisor=hypervisor,
        fabric=fabric,
        mailer=mailer,
        events=events,
        policy=policy,
    )


def build(settings: Settings, **overrides: object) -> Container:
    """A wired container: the job queue bound to the tasks, the sandbox catalogue seeded.

    `overrides` replace providers by name (tests pass a FakeClock as `clock`, say)."""
    container = Container(settings=settings)
    for name, value in overrides.items():
        getattr(container, name).override(providers.Object(value))
    runtime = container.runtime()
    container.job_queue().bind(make_dispatch(runtime))
    sandbox.seed(runtime.uow, settings.currency)
    return container
