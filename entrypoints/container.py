"""The composition root: the only place that picks adapters. It reads top to bottom: what every
process shares, then what each of the three wirings picks, then the Runtime the use cases run with.

- The sandbox (`for_sandbox`, no database): everything in memory, the simulated hypervisor and
  firewall unless real ones are configured, the sandbox catalogue seeded.
- PostgreSQL (`for_postgres`, HOSTPROVIDER_DATABASE_URL): the units of work on the database, jobs
  deferred to procrastinate in the same transaction, live events by NOTIFY, throttle counters in
  the database. The pool is opened by whoever first asks for it, which must be the process that
  uses it (a gunicorn worker after the fork, the scheduler). A database starts with no catalogue:
  the operator publishes theirs (`hostprovider catalog import`); nothing is seeded into it.
- Tests (`for_tests`): the parts a test hands over (TestParts), each kept by the test with its own
  type, and everything else as in production.

HOSTPROVIDER_PROXMOX_URL and HOSTPROVIDER_PFSENSE_URL (with the site file) switch the hypervisor and
the network fabric to the real adapters (infrastructure.py). Nothing falls back to a fake silently:
a configured system that is down makes its operations fail with 503s and failed actions, while the
rest of the API keeps serving.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from dependency_injector import containers, providers

from adapters.clock import SystemClock
from adapters.events import LocalEventBus
from adapters.memory import InlineJobQueue, InMemoryStore
from adapters.memory.throttle import MemoryCounters
from adapters.security import (
    Argon2PasswordHasher,
    BoundedPasswordHasher,
    FernetSecretBox,
    SystemSecretGenerator,
)
from adapters.security.totp import PyotpTotp
from adapters.webhooks import HttpWebhookSender
from domain.usecases.runtime import Runtime
from entrypoints.config import ConfigError, Settings
from entrypoints.console.wiring import console_gateway
from entrypoints.infrastructure import configured_fabric, configured_hypervisor
from entrypoints.mail import make_mailer
from entrypoints.metrics import CountingEventPublisher
from entrypoints.payments_config import make_gateway
from entrypoints.policy import policy_of, site_of
from entrypoints.sandbox import seed as seed_sandbox_catalogue
from entrypoints.tasks import make_dispatch
from entrypoints.test_parts import TestParts, payments_for_tests
from ports.messaging import EventPublisher
from ports.security import PasswordHasher
from ports.throttle import Counters

if TYPE_CHECKING:
    from psycopg_pool import ConnectionPool

    from adapters.postgres.uow import PostgresUnitOfWorkFactory


class Wiring(enum.StrEnum):
    SANDBOX = "sandbox"
    POSTGRES = "postgres"
    TEST = "test"


# --- the plain factories the providers call ------------------------------------------------------


def hasher_of(settings: Settings) -> BoundedPasswordHasher:
    """argon2id at the settings' strength (production's unless told), at most
    `password_hash_slots` hashes at once in this process: its memory is bounded by slots x memory
    cost, whatever the thread count, and a burst is refused at once (503 with Retry-After) rather
    than queued behind the hashes."""
    hasher = Argon2PasswordHasher(
        time_cost=settings.argon2_time_cost,
        memory_cost=settings.argon2_memory_kib,
        parallelism=settings.argon2_parallelism,
    )
    return BoundedPasswordHasher(hasher, slots=settings.password_hash_slots)


def hasher_for_tests(parts: TestParts, settings: Settings) -> PasswordHasher:
    return parts.hasher if parts.hasher is not None else hasher_of(settings)


def open_pool_of(settings: Settings, opened: ConnectionPool | None) -> ConnectionPool:
    """The process's pool: the one given (a gunicorn worker opens its own in the background), or
    one opened now, so that an unreachable database stops the start with its address."""
    from adapters.postgres.pool import make_pool, open_pool

    if opened is not None:
        return opened
    if settings.database_url is None:
        raise ConfigError("HOSTPROVIDER_DATABASE_URL is not set")
    return open_pool(make_pool(settings.database_url, size=settings.db_pool_size))


def postgres_store(pool: ConnectionPool) -> PostgresUnitOfWorkFactory:
    from adapters.jobs.procrastinate_queue import job_sink, web_app
    from adapters.postgres.uow import PostgresUnitOfWorkFactory

    return PostgresUnitOfWorkFactory(pool, job_sink=job_sink(web_app(pool)))


def postgres_counters(pool: ConnectionPool) -> Counters:
    from adapters.postgres.throttle import PostgresCounters

    return PostgresCounters(pool)


def notify_events(pool: ConnectionPool) -> EventPublisher:
    from adapters.postgres.events import NotifyEventPublisher

    return NotifyEventPublisher(pool)


# --- the container -------------------------------------------------------------------------------


class Container(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    wiring = providers.Dependency(instance_of=Wiring)
    parts = providers.Dependency(instance_of=TestParts)  # the test wiring's only
    sandbox_runs_jobs_inline = providers.Dependency(instance_of=bool, default=True)
    opened_pool = providers.Dependency(instance_of=object, default=providers.Object(None))

    # What every wiring shares.
    site = providers.Singleton(site_of, settings)
    policy = providers.Singleton(policy_of, settings, site)
    secrets = providers.Singleton(SystemSecretGenerator)
    secret_box = providers.Singleton(FernetSecretBox, settings.provided.secret_key)
    totp = providers.Singleton(PyotpTotp)
    event_bus = providers.Singleton(LocalEventBus)  # the sandbox's realtime server listens here
    pool = providers.Singleton(open_pool_of, settings, opened_pool)

    # What production builds, on the sandbox and PostgreSQL alike (the tests hand theirs over).
    system_clock = providers.Singleton(SystemClock)
    built_hasher = providers.Singleton(hasher_of, settings)
    built_mailer = providers.Singleton(make_mailer, settings)
    webhook_sender = providers.Singleton(HttpWebhookSender)

    # What each wiring picks.
    clock = providers.Selector(
        wiring, sandbox=system_clock, postgres=system_clock, test=parts.provided.clock
    )
    job_queue = providers.Selector(
        wiring,
        sandbox=providers.Singleton(InlineJobQueue, auto_run=sandbox_runs_jobs_inline),
        test=parts.provided.jobs,
    )
    store = providers.Selector(
        wiring,
        sandbox=providers.Singleton(InMemoryStore, job_queue),
        postgres=providers.Singleton(postgres_store, pool),
        test=parts.provided.store,
    )
    built_hypervisor = providers.Singleton(configured_hypervisor, clock, settings, site, policy)
    hypervisor = providers.Selector(
        wiring, sandbox=built_hypervisor, postgres=built_hypervisor, test=parts.provided.hypervisor
    )
    built_fabric = providers.Singleton(configured_fabric, settings, site, policy, pool.provider)
    fabric = providers.Selector(
        wiring, sandbox=built_fabric, postgres=built_fabric, test=parts.provided.fabric
    )
    mailer = providers.Selector(
        wiring, sandbox=built_mailer, postgres=built_mailer, test=parts.provided.mailer
    )
    # Where live events go, counted for /metrics on the way (saga failures by step).
    events = providers.Singleton(
        CountingEventPublisher,
        providers.Selector(
            wiring,
            sandbox=event_bus,
            postgres=providers.Singleton(notify_events, pool),
            test=parts.provided.events,
        ),
    )
    webhooks = providers.Selector(
        wiring, sandbox=webhook_sender, postgres=webhook_sender, test=parts.provided.webhooks
    )
    counters = providers.Selector(
        wiring,
        sandbox=providers.Singleton(MemoryCounters),
        postgres=providers.Singleton(postgres_counters, pool),
        test=parts.provided.counters,
    )
    hasher = providers.Selector(
        wiring,
        sandbox=built_hasher,
        postgres=built_hasher,
        test=providers.Singleton(hasher_for_tests, parts, settings),
    )

    built_payments = providers.Singleton(
        make_gateway,
        settings.provided.payments,
        settings.provided.public_url,
        clock,
        pool.provider,
        settings.provided.sandbox,
    )
    payments = providers.Selector(
        wiring,
        sandbox=built_payments,
        postgres=built_payments,
        test=providers.Singleton(payments_for_tests, parts, settings, clock, pool.provider),
    )
    # The console's way to a guest's screen: the real hypervisor's VNC, or the simulated one's.
    console_gateway = providers.Singleton(console_gateway, settings, hypervisor)

    runtime = providers.Singleton(
        Runtime,
        uow=store,
        clock=clock,
        hasher=hasher,
        secrets=secrets,
        secret_box=secret_box,
        hypervisor=hypervisor,
        fabric=fabric,
        mailer=mailer,
        events=events,
        policy=policy,
        counters=counters,
        payments=payments,
        totp=totp,
        webhooks=webhooks,
    )


# --- the three wirings ---------------------------------------------------------------------------


def for_sandbox(settings: Settings, *, run_jobs_inline: bool = True) -> Container:
    """Everything in memory, the sandbox catalogue published. `run_jobs_inline=False` leaves the
    jobs for a scheduler to work off (serve's, so that a request returns at once)."""
    container = Container(
        settings=settings, wiring=Wiring.SANDBOX, sandbox_runs_jobs_inline=run_jobs_inline
    )
    runtime = _bind_jobs(container)
    seed_sandbox_catalogue(runtime.uow, settings.currency)
    return container


def for_postgres(settings: Settings, *, pool: ConnectionPool | None = None) -> Container:
    """The units of work on the database (with `pool` if given, else one opened when first
    needed). Nothing is seeded."""
    return Container(settings=settings, wiring=Wiring.POSTGRES, opened_pool=pool)


def for_tests(settings: Settings, parts: TestParts) -> Container:
    """The parts given, the rest as in production; the jobs bound to the tasks. Nothing is
    seeded: the test says what its store holds."""
    container = Container(settings=settings, wiring=Wiring.TEST, parts=parts)
    _bind_jobs(container)
    return container


def build(settings: Settings) -> Container:
    """The wiring the settings describe: PostgreSQL with a database, else the sandbox."""
    return for_sandbox(settings) if settings.database_url is None else for_postgres(settings)


def unbuilt(settings: Settings) -> Container:
    """The wiring the settings describe with nothing made yet: each part is made when asked for,
    and nothing is seeded or bound (for looking at one part, as the settings tests do)."""
    wiring = Wiring.SANDBOX if settings.database_url is None else Wiring.POSTGRES
    return Container(settings=settings, wiring=wiring)


def _bind_jobs(container: Container) -> Runtime:
    runtime: Runtime = container.runtime()
    jobs: InlineJobQueue = container.job_queue()
    jobs.bind(make_dispatch(runtime))
    return runtime
