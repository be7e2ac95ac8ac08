"""Fixtures for the contract suites.

Each port's suite asks for a rig parametrized by implementation: the persistence suites run against
the in-memory store and PostgreSQL alike (postgres.py makes the throwaway database); the
Proxmox-simulator and pfSense-simulator rigs join the hypervisor and fabric params later. A rig
gives the port under test plus the few hooks a suite needs that the port itself does not offer
(which jobs reached the queue, moving time, arming faults, building a cluster).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from adapters.memory import (
    FakeClock,
    FakeHypervisor,
    FakeNetworkFabric,
    InlineJobQueue,
    InMemoryStore,
    RecordingMailer,
)
from adapters.postgres.uow import PostgresUnitOfWorkFactory
from domain.model.catalogue import GuestKind
from ports.hypervisor import GuestSpec, Hypervisor
from ports.messaging import Mailer, OutgoingMail
from ports.network import NetworkFabric
from ports.unit_of_work import UnitOfWork
from simulators.pfsense import Options as PfSenseOptions

from .builders import T0
from .pfsense_rig import PfSenseRig
from .postgres import PgDatabase, session_database

# --- units of work -------------------------------------------------------------------------------


@attrs.define
class StoreRig:
    uow_factory: Callable[[], UnitOfWork]
    handed_over: Callable[[], list[tuple[str, dict[str, Any]]]]  # jobs that reached the queue
    fresh: Callable[[], Callable[[], UnitOfWork]]  # an emptied store (for property tests)


def _memory_store(request: pytest.FixtureRequest) -> Iterator[StoreRig]:
    queue = InlineJobQueue(auto_run=False)
    store = InMemoryStore(job_queue=queue)
    yield StoreRig(
        store.uow,
        lambda: [(job.task, dict(job.args)) for job in queue.pending],
        lambda: InMemoryStore().uow,
    )


def _postgres_store(request: pytest.FixtureRequest) -> Iterator[StoreRig]:
    database: PgDatabase = request.getfixturevalue("pg_database")
    database.truncate()
    queue = InlineJobQueue(auto_run=False)
    factory = PostgresUnitOfWorkFactory(database.pool, job_queue=queue)

    def fresh() -> Callable[[], UnitOfWork]:
        database.truncate()
        return factory

    yield StoreRig(factory, lambda: [(job.task, dict(job.args)) for job in queue.pending], fresh)


STORES = {"memory": _memory_store, "postgres": _postgres_store}


@pytest.fixture(scope="session")
def pg_database() -> Iterator[PgDatabase]:
    """The session's migrated PostgreSQL database and a pool on it."""
    yield from session_database()


@pytest.fixture
def pg(pg_database: PgDatabase) -> PgDatabase:
    """The PostgreSQL database, emptied for this test."""
    pg_database.truncate()
    return pg_database


@pytest.fixture(params=sorted(STORES))
def store_rig(request: pytest.FixtureRequest) -> Iterator[StoreRig]:
    yield from STORES[request.param](request)


@pytest.fixture
def uow_factory(store_rig: StoreRig) -> Callable[[], UnitOfWork]:
    return store_rig.uow_factory


# --- hypervisor ----------------------------------------------------------------------------------

LOCATION = 1
NODE = "pve1"
OSTEMPLATE = "local:vztmpl/ubuntu-24.04.tar.zst"  # every rig's node has it


@attrs.define
class HypervisorRig:
    hv: Hypervisor
    clock: FakeClock
    advance: Callable[[float], None]
    add_node: Callable[..., None]
    set_node_online: Callable[[str, bool], None]
    fail_next: Callable[..., None]
    add_ostemplate: Callable[[str, str], None]
    add_template: Callable[[str, int, str], None]  # a QEMU template: node, vmid, name

    def spec(self, vmid: int, **changes: Any) -> GuestSpec:
        fields: dict[str, Any] = dict(
            kind=GuestKind.LXC,
            vmid=vmid,
            hostname=f"srv-{vmid}",
            template=OSTEMPLATE,
            cores=1,
            memory_mib=1024,
            disk_gib=10,
            mac_address="02:48:50:00:00:01",
            vlan=100,
            ip_address="10.20.0.5/24",
            gateway="10.20.0.1",
            root_password="Secret-pass-123",
            tags=("hostprovider",),
        )
        fields.update(changes)
        return GuestSpec(**fields)

    def created(self, vmid: int, node: str = NODE, **changes: Any) -> None:
        """A guest created and waited for."""
        self.hv.wait(self.hv.create_guest(node, self.spec(vmid, **changes)))

    def running(self, vmid: int, node: str = NODE, **changes: Any) -> None:
        self.created(vmid, node, **changes)
        self.hv.wait(self.hv.start(node, vmid))


def _fake_hypervisor() -> Iterator[HypervisorRig]:
    clock = FakeClock(T0)
    hv = FakeHypervisor(clock)

    def add_node(location_id: int, name: str, *args: Any, **kwargs: Any) -> None:
        hv.add_node(location_id, name, *args, **kwargs)
        hv.add_ostemplate(name, OSTEMPLATE)

    add_node(LOCATION, NODE, cores=8, memory_mib=16384, disk_gib=200)
    yield HypervisorRig(
        hv,
        clock,
        clock.advance,
        add_node,
        hv.set_node_online,
        hv.fail_next,
        hv.add_ostemplate,
        lambda node, vmid, name: hv.add_template(node, vmid, name),
    )


def _proxmox_hypervisor() -> Iterator[HypervisorRig]:
    from .proxmox_rig import proxmox_hypervisor  # it needs this module's rig class

    yield from proxmox_hypervisor()


HYPERVISORS = {"fake": _fake_hypervisor, "proxmox": _proxmox_hypervisor}


@pytest.fixture(params=sorted(HYPERVISORS))
def hypervisor(request: pytest.FixtureRequest) -> Iterator[HypervisorRig]:
    yield from HYPERVISORS[request.param]()


# --- network fabric ------------------------------------------------------------------------------


@attrs.define
class FabricRig:
    fabric: NetworkFabric
    live_state: Callable[[int], Any]
    fail_next: Callable[..., None]


def _fake_fabric() -> Iterator[FabricRig]:
    fabric = FakeNetworkFabric()
    yield FabricRig(fabric, fabric.live_state, fabric.fail_next)


def _pfsense_fabric(**simulator: Any) -> Iterator[FabricRig]:
    """The real adapter on one simulated pfSense per location (1 and 2), a current package (v2.7+)
    unless `simulator` says otherwise; the simulators must see no request that breaks the API's
    schema."""
    with PfSenseRig(locations=(1, 2), simulator=simulator) as rig:
        yield FabricRig(rig.fabric, rig.live_state, rig.fail_next)


def _pfsense_before_v27() -> Iterator[FabricRig]:
    """A package before v2.7.0, whose interfaces got their DHCP server implicitly."""
    yield from _pfsense_fabric(options=PfSenseOptions(implicit_dhcp_servers=True))


FABRICS = {
    "fake": _fake_fabric,
    "pfsense": _pfsense_fabric,
    "pfsense-before-2.7": _pfsense_before_v27,
}


@pytest.fixture(params=sorted(FABRICS))
def fabric(request: pytest.FixtureRequest) -> Iterator[FabricRig]:
    yield from FABRICS[request.param]()


# --- mail ----------------------------------------------------------------------------------------


@attrs.define
class MailRig:
    mailer: Mailer
    delivered: Callable[[], list[Any]]
    fail_next: Callable[..., None]


def _recording_mailer() -> Iterator[MailRig]:
    mailer = RecordingMailer()
    yield MailRig(mailer, lambda: list(mailer.sent), mailer.fail_next)


def _smtp_mailer() -> Iterator[MailRig]:
    """The SMTP adapter and a real relay (aiosmtpd, STARTTLS and AUTH) that it talks to."""
    from adapters.smtp import SmtpMailer
    from tests.adapters.smtp.relay import running_relay

    def delivered() -> list[OutgoingMail]:
        return [
            OutgoingMail(d.rcpt_tos[0], d.message["Subject"], "", d.message["Message-ID"])
            for d in relay.delivered
        ]

    def fail_next(times: int = 1, *, permanent: bool = False) -> None:
        answer = "554 5.7.1 refused" if permanent else "421 4.3.2 service not available"
        relay.handler.answers.extend([answer] * times)

    with tempfile.TemporaryDirectory() as folder, running_relay(Path(folder)) as relay:
        yield MailRig(SmtpMailer(relay.settings()), delivered, fail_next)


MAILERS = {"recording": _recording_mailer, "smtp": _smtp_mailer}


@pytest.fixture(params=sorted(MAILERS))
def mail(request: pytest.FixtureRequest) -> Iterator[MailRig]:
    yield from MAILERS[request.param]()


@pytest.fixture
def now() -> dt.datetime:
    return T0
