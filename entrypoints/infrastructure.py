"""The real infrastructure, as the settings and the site file describe it: Proxmox VE for the
hypervisor, pfSense for the network fabric, and the checks a service runs on them before it starts.
Without HOSTPROVIDER_PROXMOX_URL and HOSTPROVIDER_PFSENSE_URL both are the sandbox's simulated ones
(entrypoints/sandbox.py), whose state lives in one process."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from adapters.memory import FakeNetworkFabric
from domain.model.placement import Overcommit
from domain.usecases.runtime import Policy
from entrypoints import sandbox
from entrypoints.config import ConfigError, NodeSsh, RemoteApi, Settings
from entrypoints.policy import policy_of, site_of
from entrypoints.site import Site
from ports.clock import Clock
from ports.hypervisor import Hypervisor
from ports.locks import Locks
from ports.network import NetworkFabric

if TYPE_CHECKING:
    from psycopg_pool import ConnectionPool

    from adapters.pfsense import FirewallSite


def configured_hypervisor(
    clock: Clock, settings: Settings, site: Site | None, policy: Policy
) -> Hypervisor:
    if settings.proxmox is not None:
        assert site is not None  # the settings refuse a Proxmox URL without a site file
        return proxmox_hypervisor(
            clock, settings.proxmox, site, policy.overcommit, settings.proxmox_ssh
        )
    return sandbox.sandbox_hypervisor(
        clock, settings.sandbox_task_seconds, settings.currency, policy.overcommit
    )


def _check_ssh_hosts(site: Site, ssh: NodeSsh) -> None:
    known = {node for layout in site.locations.values() for node in layout.nodes}
    strangers = sorted(node for node, _ in ssh.hosts if node not in known)
    if strangers:
        raise ConfigError(
            f"HOSTPROVIDER_PROXMOX_SSH_HOSTS names {', '.join(strangers)}, "
            "which no location of the site file has"
        )


def proxmox_hypervisor(
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


def configured_fabric(
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
    site = site_of(settings)
    if site is None:
        return
    if settings.proxmox_ssh is not None:
        _check_ssh_hosts(site, settings.proxmox_ssh)
    if settings.pfsense is not None:
        _firewall_sites(settings, site, policy_of(settings, site))


def check_firewalls(settings: Settings) -> None:
    """For a service starting (serve's master, a scheduler, realtime): a firewall that refuses
    the key stops the start with one line saying what to fix. One that does not answer only
    warns: a firewall that is down must not keep the back office down."""
    site = site_of(settings)
    if settings.pfsense is None or site is None:
        return
    from adapters import pfsense

    fabric = pfsense.PfSenseFabric(_firewall_sites(settings, site, policy_of(settings, site)))
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
