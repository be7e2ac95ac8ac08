"""The composition root: the only place that picks adapters.

With no database configured everything is in memory (the sandbox and the acceptance specs). With
HOSTPROVIDER_DATABASE_URL the units of work run on PostgreSQL and jobs go to procrastinate, deferred
inside the same transaction; the pool is opened by whoever first asks for it, which must be the
process that uses it (a gunicorn worker after the fork, the scheduler).

HOSTPROVIDER_PROXMOX_URL and HOSTPROVIDER_PFSENSE_URL (with the site file) switch the hypervisor and
the network fabric to the real adapters; without them they are the sandbox's simulated ones, whose
state lives in one process (with a database: the scheduler's, where the jobs run). Nothing falls
back to a fake silently: a configured system that is down makes its operations fail with 503s and
failed actions, while the rest of the API keeps serving.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

from dependency_injector import containers, providers

from adapters.clock import SystemClock
from adapters.events import LocalEventBus
from adapters.memory import (
    FakeHypervisor,
    FakeNetworkFabric,
    InlineJobQueue,
    InMemoryStore,
)
from adapters.memory.throttle import MemoryCounters
from adapters.security import (
    Argon2PasswordHasher,
    BoundedPasswordHasher,
    FernetSecretBox,
    SystemSecretGenerator,
)
from adapters.security.common_passwords import common_passwords
from adapters.security.totp import PyotpTotp
from adapters.webhooks import HttpWebhookSender
from domain.model.network import CustomerNetworks
from domain.model.placement import Overcommit
from domain.usecases.runtime import Policy, Runtime
from entrypoints import sandbox
from entrypoints.config import ConfigError, NodeSsh, RemoteApi, Settings
from entrypoints.mail import make_mailer
from entrypoints.metrics import CountingEventPublisher
from entrypoints.site import Site, load_site
from entrypoints.tasks import make_dispatch
from ports.clock import Clock
from ports.hypervisor import Hypervisor
from ports.locks import Locks
from ports.messaging import EventPublisher
from ports.network import NetworkFabric
from ports.throttle import Counters

if TYPE_CHECKING:
    from psycopg_pool import ConnectionPool

    from adapters.pfsense import FirewallSite
    from adapters.postgres.uow import PostgresUnitOfWorkFactory


def _policy(settings: Settings, site: Site | None) -> Policy:
    return Policy(
        quote_key=settings.quote_key,
        currency=settings.currency,
        billing_period_seconds=settings.billing_period_seconds,
        session_ttl=dt.timedelta(hours=settings.session_ttl_hours),
        customer_networks=_customer_networks(site),
        warm_pool=dict(settings.warm_pool),
        registrations_per_hour=settings.registrations_per_hour,
        public_url=settings.public_url,
        common_passwords=common_passwords(),
        metrics_raw_days=settings.metrics_raw_days,
        webhooks_allow_private=settings.private_webhooks,
    )


def _site(settings: Settings) -> Site | None:
    return load_site(settings.site_file) if settings.site_file is not None else None


def _hypervisor(clock: Clock, settings: Settings, site: Site | None, policy: Policy) -> Hypervisor:
    if settings.proxmox is not None:
        assert site is not None  # the settings refuse a Proxmox URL without a site file
        return _proxmox(clock, settings.proxmox, site, policy.overcommit, settings.proxmox_ssh)
    # The same overcommit as placement and as the Proxmox adapter: the sandbox takes what
    # production would.
    hypervisor = FakeHypervisor(clock, overcommit=policy.overcommit)
    hypervisor.durations = {op: settings.sandbox_task_seconds for op in hypervisor.durations}
    for location_id, name in sandbox.sandbox_nodes():
        hypervisor.add_node(location_id, name, **sandbox.NODE_CAPACITY)
    sandbox.stock_templates(hypervisor, settings.currency)
    return hypervisor


def _check_ssh_hosts(site: Site, ssh: NodeSsh) -> None:
    known = {node for layout in site.locations.values() for node in layout.nodes}
    strangers = sorted(node for node, _ in ssh.hosts if node not in known)
    if strangers:
        raise ConfigError(
            f"HOSTPROVIDER_PROXMOX_SSH_HOSTS names {', '.join(strangers)}, "
            "which no location of the site file has"
        )


def _proxmox(
    clock: Clock,
    api: RemoteApi,
    site: Site,
    overcommit: Overcommit,
    ssh: NodeSsh | None = None,
) -> Hypervisor:
    from adapters.proxmox.client import ProxmoxClient
    from adapters.proxmox.config import ProxmoxConnection, ProxmoxSite
    from adapters.proxmox.hypervisor import ProxmoxHypervisor
    from adapters.proxmox.lxc_password import SshLxcPasswordCommand, SshSettings

    connection = ProxmoxConnection(
        api.url,
        api.user,
        api.secret,
        ca_file=api.ca_file,
        fingerprint_sha256=api.fingerprint_sha256,
    )
    sites = {
        location_id: ProxmoxSite(
            nodes=layout.nodes,
            storage=layout.storage,
            bridge=layout.bridge,
            nameservers=layout.nameservers,
        )
        for location_id, layout in site.locations.items()
    }
    lxc_password = None  # without SSH the adapter refuses LXC password work, saying why
    if ssh is not None:
        _check_ssh_hosts(site, ssh)
        lxc_password = SshLxcPasswordCommand(
            SshSettings(
                user=ssh.user,
                port=ssh.port,
                identity_file=ssh.identity_file,
                known_hosts_file=ssh.known_hosts_file,
                hosts=dict(ssh.hosts),
                program=ssh.program,
            )
        )
    # The same overcommit as placement: the adapter refuses what placement would not choose.
    return ProxmoxHypervisor(
        ProxmoxClient(connection),
        sites,
        clock=clock,
        overcommit=overcommit,
        lxc_password_command=lxc_password,
    )


# How long a firewall write waits for another process's: a reconciliation of a big firewall, with
# the adapter's retries on a busy box, can take minutes.
FIREWALL_LOCK_WAIT = 300.0


def _fabric(
    settings: Settings, site: Site | None, policy: Policy, pool: Callable[[], ConnectionPool]
) -> NetworkFabric:
    """`pool` is the pool's provider: the pool is opened only when a database is configured."""
    if settings.pfsense is None:
        return FakeNetworkFabric()
    from adapters import pfsense
    from adapters.locking import SerializedFabric

    # The firewalls' API settings are read lazily on first use; whether they take our key is
    # checked once, when a service starts (check_firewalls), not by every process that builds.
    fabric = pfsense.PfSenseFabric(_firewall_sites(settings, site, policy))
    return SerializedFabric(fabric, _firewall_locks(settings, pool))


def _firewall_sites(
    settings: Settings, site: Site | None, policy: Policy
) -> dict[int, FirewallSite]:
    from adapters import pfsense

    api = settings.pfsense
    assert site is not None and api is not None  # the settings refuse pfSense without a site file
    try:
        sites = {
            location_id: pfsense.FirewallSite(
                url=(layout.firewall.url or api.url),
                api_key=api.secret,
                networks=layout.networks,
                vlan_range=policy.vlan_range,
                trunk=layout.firewall.trunk,
                wan=layout.firewall.wan,
                public_mode=pfsense.PublicAddressMode(layout.firewall.public_mode),
                public_ips=layout.firewall.public_ips,
                tls=pfsense.TlsSettings(api.ca_file, api.fingerprint_sha256),
            )
            for location_id, layout in site.locations.items()
        }
    except ValueError as ex:  # a layout the firewall cannot carry: stop with the reason
        raise ConfigError(f"HOSTPROVIDER_SITE_FILE: {ex}") from None
    return sites


def check_layout(settings: Settings) -> None:
    """Every ConfigError the providers below would raise, raised now and without connecting to
    anything: the commands check this before a gunicorn worker would find it at boot."""
    site = _site(settings)
    if site is None:
        return
    if settings.proxmox_ssh is not None:
        _check_ssh_hosts(site, settings.proxmox_ssh)
    if settings.pfsense is not None:
        _firewall_sites(settings, site, _policy(settings, site))


def check_firewalls(settings: Settings) -> None:
    """For a service starting (serve's master, a scheduler, realtime): a firewall that refuses
    the key stops the start with one line saying what to fix. One that does not answer only
    warns: a firewall that is down must not keep the back office down."""
    site = _site(settings)
    if settings.pfsense is None or site is None:
        return
    from adapters import pfsense

    fabric = pfsense.PfSenseFabric(_firewall_sites(settings, site, _policy(settings, site)))
    try:
        fabric.check_settings()
    except pfsense.FirewallMisconfigured as ex:
        raise ConfigError(f"HOSTPROVIDER_PFSENSE_URL: {ex}") from None
    finally:
        fabric.close()


def _firewall_locks(settings: Settings, pool: Callable[[], ConnectionPool]) -> Locks:
    """One writer per firewall across every process that drives it (API workers, schedulers on
    any machine): the database's advisory locks when there is a database, else this process is
    the only writer and its own locks do."""
    if settings.database_url is None:
        from adapters.memory.locks import MemoryLocks

        return MemoryLocks(timeout=FIREWALL_LOCK_WAIT)
    from adapters.postgres.locks import PostgresLocks

    return PostgresLocks(pool(), timeout=FIREWALL_LOCK_WAIT)


def _customer_networks(site: Site | None) -> dict[int, CustomerNetworks]:
    return site.customer_networks() if site is not None else sandbox.sandbox_networks()


def _hasher(settings: Settings) -> BoundedPasswordHasher:
    """argon2id at full strength, at most `password_hash_slots` hashes at once in this process: its
    memory is bounded by slots x memory cost, whatever the thread count, and a burst is refused at
    once (503 with Retry-After) rather than queued behind the hashes."""
    hasher = Argon2PasswordHasher(
        time_cost=settings.argon2_time_cost,
        memory_cost=settings.argon2_memory_kib,
        parallelism=settings.argon2_parallelism,
    )
    return BoundedPasswordHasher(hasher, slots=settings.password_hash_slots)


def _postgres_counters(pool: ConnectionPool) -> Counters:
    from adapters.postgres.throttle import PostgresCounters

    return PostgresCounters(pool)


def _store(job_queue: InlineJobQueue) -> InMemoryStore:
    return InMemoryStore(job_queue)


def _mode(settings: Settings) -> str:
    return "memory" if settings.sandbox else "postgres"


def _pool(settings: Settings) -> ConnectionPool:
    """The process's pool, opened now: an unreachable database stops the start with its address."""
    from adapters.postgres.pool import make_pool, open_pool

    if settings.database_url is None:
        raise ConfigError("HOSTPROVIDER_DATABASE_URL is not set")
    return open_pool(make_pool(settings.database_url, size=settings.db_pool_size))


def _postgres_store(pool: ConnectionPool) -> PostgresUnitOfWorkFactory:
    from adapters.jobs.procrastinate_queue import job_sink, web_app
    from adapters.postgres.uow import PostgresUnitOfWorkFactory

    return PostgresUnitOfWorkFactory(pool, job_sink=job_sink(web_app(pool)))


def _notify_events(pool: ConnectionPool) -> EventPublisher:
    from adapters.postgres.events import NotifyEventPublisher

    return NotifyEventPublisher(pool)


class Container(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    mode = providers.Callable(_mode, settings)

    clock = providers.Singleton(SystemClock)
    job_queue = providers.Singleton(InlineJobQueue, auto_run=True)
    pool = providers.Singleton(_pool, settings)
    store = providers.Selector(
        mode,
        memory=providers.Singleton(_store, job_queue),
        postgres=providers.Singleton(_postgres_store, pool),
    )
    site = providers.Singleton(_site, settings)
    policy = providers.Singleton(_policy, settings, site)
    hypervisor = providers.Singleton(_hypervisor, clock, settings, site, policy)
    fabric = providers.Singleton(_fabric, settings, site, policy, pool.provider)
    mailer = providers.Singleton(make_mailer, settings)
    # Where live events go: the sandbox's own bus (its realtime server subscribes to it), or
    # PostgreSQL's NOTIFY; saga failures are counted for /metrics on the way.
    event_bus = providers.Singleton(LocalEventBus)
    events = providers.Selector(
        mode,
        memory=providers.Singleton(CountingEventPublisher, event_bus),
        postgres=providers.Singleton(
            CountingEventPublisher, providers.Singleton(_notify_events, pool)
        ),
    )
    hasher = providers.Singleton(_hasher, settings)
    counters = providers.Selector(
        mode,
        memory=providers.Singleton(MemoryCounters),
        postgres=providers.Singleton(_postgres_counters, pool),
    )
    secrets = providers.Singleton(SystemSecretGenerator)
    secret_box = providers.Singleton(FernetSecretBox, settings.provided.quote_key)
    totp = providers.Singleton(PyotpTotp)
    webhook_sender = providers.Singleton(HttpWebhookSender)

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
        totp=totp,
        webhooks=webhook_sender,
    )


def build(settings: Settings, **overrides: object) -> Container:
    """A wired container: the job queue bound to the tasks; in the sandbox (no database) the
    sandbox catalogue seeded. A database starts with no catalogue: the operator publishes theirs
    (`hostprovider catalog import`), and until then ordering answers 503 saying so.

    `overrides` replace providers by name (tests pass a FakeClock as `clock`, say)."""
    container = Container(settings=settings)
    for name, value in overrides.items():
        getattr(container, name).override(providers.Object(value))
    runtime = container.runtime()
    container.job_queue().bind(make_dispatch(runtime))
    if settings.database_url is None:
        sandbox.seed(runtime.uow, settings.currency)
    return container
