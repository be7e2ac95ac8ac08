"""The sandbox's world: a seeded catalogue, address pools and simulated nodes.

Used by `hostprovider serve` without a database, and by the acceptance specs, so that what a
newcomer tries and what QA runs are the same shop.
"""

from __future__ import annotations

from typing import Protocol, TypedDict

from adapters.memory import FakeHypervisor
from domain.model.catalogue import (
    Catalogue,
    GuestKind,
    Location,
    OsImage,
    Rates,
    ResourceLimits,
    ResourceRange,
    ServerConfig,
    Tariff,
)
from domain.model.money import Money
from domain.model.network import CustomerNetworks
from domain.model.placement import Overcommit
from ports.clock import Clock
from ports.unit_of_work import UnitOfWorkFactory

NODES_PER_LOCATION = 2


class NodeCapacity(TypedDict):
    cores: int
    memory_mib: int
    disk_gib: int


NODE_CAPACITY: NodeCapacity = {"cores": 64, "memory_mib": 262144, "disk_gib": 4000}


def sandbox_catalogue(currency: str = "RUB", version: int = 1) -> Catalogue:
    def m(text: str) -> Money:
        return Money.parse(text, currency)

    free = m("0")
    locations = (
        Location(1, "ru-msk-1", "Moscow", "RU", "Moscow", "MSK-DC1"),
        Location(2, "ru-spb-1", "Saint Petersburg", "RU", "Saint Petersburg", "SPB-DC1"),
        Location(3, "nl-ams-1", "Amsterdam", "NL", "Amsterdam", "AMS-DC1"),
    )
    images = (
        OsImage(
            1,
            "Ubuntu 24.04",
            "ubuntu",
            "24.04",
            "linux",
            GuestKind.LXC,
            free,
            "local:vztmpl/ubuntu-24.04-standard_24.04-2_amd64.tar.zst",
        ),
        OsImage(
            2,
            "Debian 12",
            "debian",
            "12",
            "linux",
            GuestKind.LXC,
            free,
            "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
        ),
        OsImage(
            3,
            "CentOS Stream 9",
            "centos",
            "9",
            "linux",
            GuestKind.LXC,
            free,
            "local:vztmpl/centos-9-stream-default_20240828_amd64.tar.xz",
        ),
        OsImage(4, "Ubuntu 22.04 (VM)", "ubuntu", "22.04", "linux", GuestKind.QEMU, free, "9000"),
        OsImage(
            5,
            "Windows Server 2022",
            "windows",
            "2022",
            "windows",
            GuestKind.QEMU,
            m("1.50"),
            "9100",
        ),
    )
    limits = ResourceLimits(
        cores=ResourceRange(1, 32),
        memory_mib=ResourceRange(512, 131072, 512),
        disk_gib=ResourceRange(10, 2000),
    )
    rates = {
        1: Rates(per_core=m("0.50"), per_gib_memory=m("0.25"), per_gib_disk=m("0.01")),
        2: Rates(per_core=m("0.45"), per_gib_memory=m("0.22"), per_gib_disk=m("0.01")),
        3: Rates(per_core=m("0.60"), per_gib_memory=m("0.30"), per_gib_disk=m("0.012")),
    }
    tariffs = (
        Tariff(1, "Старт", ServerConfig(1, 1024, 20), m("300.00")),
        Tariff(2, "Базовый", ServerConfig(2, 2048, 40), m("600.00")),
        Tariff(3, "Про", ServerConfig(4, 8192, 80), m("1800.00")),
    )
    return Catalogue(version, currency, locations, images, tariffs, limits, rates)


def sandbox_networks() -> dict[int, CustomerNetworks]:
    """Per location a /16 of private space, a /24 for each customer's VLAN."""
    return {loc: CustomerNetworks(f"10.{10 + loc}.0.0/16", prefix=24) for loc in (1, 2, 3)}


def sandbox_nodes() -> list[tuple[int, str]]:
    """(location id, node name) for every simulated node."""
    codes = {1: "msk", 2: "spb", 3: "ams"}
    return [
        (loc, f"pve-{code}-{n}")
        for loc, code in codes.items()
        for n in range(1, NODES_PER_LOCATION + 1)
    ]


class TemplateStore(Protocol):
    """A simulated cluster's hooks (the fake hypervisor's, the Proxmox simulator's)."""

    def add_ostemplate(self, node: str, volid: str) -> None: ...
    def add_template(self, node: str, vmid: int, name: str) -> None: ...


def stock_templates(
    cluster: TemplateStore, currency: str = "RUB", nodes: list[str] | None = None
) -> None:
    """Every sandbox node (or those of `nodes`) gets the sandbox catalogue's templates: each LXC
    volume, and of each QEMU template either the catalogue's vmid (on the first node) or a copy of
    the same name, as a cluster on local storage keeps them (a vmid names one guest in the whole
    cluster, and a full clone from local storage works only on the template's own node)."""
    catalogue = sandbox_catalogue(currency)
    spare_vmids = iter(range(8000, 9000))
    stocked = nodes if nodes is not None else [node for _, node in sandbox_nodes()]
    for n, node in enumerate(stocked):
        for image in catalogue.images:
            if image.guest_kind is GuestKind.LXC:
                cluster.add_ostemplate(node, image.template)
            else:
                vmid = int(image.template) if n == 0 else next(spare_vmids)
                cluster.add_template(node, vmid, f"tpl-{image.family}-{image.version}")


def seed(uow_factory: UnitOfWorkFactory, currency: str = "RUB") -> None:
    """Publish the sandbox catalogue, unless a catalogue is already there."""
    from domain.model.errors import NotFound

    with uow_factory() as uow:
        try:
            uow.catalogue.current()
            return
        except NotFound:
            pass
        uow.catalogue.publish(sandbox_catalogue(currency))
        uow.commit()


def sandbox_hypervisor(
    clock: Clock, task_seconds: int, currency: str = "RUB", overcommit: Overcommit | None = None
) -> FakeHypervisor:
    """The simulated cluster: every sandbox node, stocked with the catalogue's templates, each task
    taking `task_seconds`. It takes what production would: the same overcommit as placement and
    as the Proxmox adapter (the policy's; by default the policy's default)."""
    hypervisor = FakeHypervisor(clock, overcommit=overcommit or Overcommit())
    hypervisor.durations = {op: task_seconds for op in hypervisor.durations}
    for location_id, name in sandbox_nodes():
        hypervisor.add_node(location_id, name, **NODE_CAPACITY)
    stock_templates(hypervisor, currency)
    return hypervisor
