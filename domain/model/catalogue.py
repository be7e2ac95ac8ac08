"""What can be ordered, where, and at what rate.

The catalogue is versioned: every quote and every charge names the version it was priced with, so a
price change never rewrites what a customer was already shown.
"""

from __future__ import annotations

import enum
from typing import Protocol, TypeVar

import attrs

from domain.model.errors import NotFound, RuleViolation, ValidationError
from domain.model.money import Money, Rounding

HOURS_PER_MONTH = 730
MIB_PER_GIB = 1024


class _Identified(Protocol):
    @property
    def id(self) -> int: ...


_Item = TypeVar("_Item", bound=_Identified)


class GuestKind(enum.Enum):
    LXC = "lxc"
    QEMU = "qemu"


@attrs.frozen
class Location:
    id: int
    code: str  # stable slug, e.g. "ru-msk-1"
    name: str
    country: str  # ISO 3166-1 alpha-2
    city: str
    datacenter: str


@attrs.frozen
class LocationTemplate:
    """Where one location keeps an image's template under another reference than the default."""

    location_id: int
    template: str


def usual_user(os_type: str) -> str:
    """The account a fresh image of this OS logs in as."""
    return "Administrator" if os_type == "windows" else "root"


@attrs.frozen
class OsImage:
    id: int
    name: str  # "Ubuntu 24.04"
    family: str  # "ubuntu", "debian", "centos", "windows"
    version: str
    os_type: str  # "linux" or "windows", as the seed API shows it
    guest_kind: GuestKind
    licence_hourly: Money  # zero for free systems
    # LXC: the ostemplate volume; QEMU: the vmid of the template to clone (each node may keep a
    # copy of the same name, which the hypervisor clones instead). Per location, `templates`
    # may name another.
    template: str = ""
    templates: tuple[LocationTemplate, ...] = ()
    # The account the customer's password belongs to; the QEMU guest agent is what changes it on a
    # running VM, so an image without one cannot have its password reset.
    default_user: str = attrs.field(
        default=attrs.Factory(lambda self: usual_user(self.os_type), takes_self=True)
    )
    guest_agent: bool = True

    def __attrs_post_init__(self) -> None:
        if self.os_type == "windows" and self.guest_kind is not GuestKind.QEMU:
            raise ValueError("a Windows image must be a QEMU guest")

    def template_at(self, location_id: int) -> str:
        for entry in self.templates:
            if entry.location_id == location_id:
                return entry.template
        return self.template

    @property
    def password_resettable(self) -> bool:
        """LXC passwords are set from the node; a VM's only through its guest agent."""
        return self.guest_kind is GuestKind.LXC or self.guest_agent


@attrs.frozen
class ResourceRange:
    minimum: int
    maximum: int
    step: int = 1

    def check(self, field: str, value: int) -> int:
        # Orders come as Cores, MemoryMiB and DiskGiB, whole numbers already; a resize still
        # hands over its sizes as sent until the server commands are typed (domain/model/server.py).
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValidationError(field, "must be an integer")
        # The range is the catalogue's, which changes: a rule of the moment, not of the API.
        if not self.minimum <= value <= self.maximum:
            raise RuleViolation(
                field,
                f"must be between {self.minimum} and {self.maximum}",
                minimum=self.minimum,
                maximum=self.maximum,
            )
        if (value - self.minimum) % self.step:
            raise RuleViolation(field, f"must be a multiple of {self.step}", step=self.step)
        return value


@attrs.frozen
class ResourceLimits:
    cores: ResourceRange
    memory_mib: ResourceRange
    disk_gib: ResourceRange


@attrs.frozen
class ServerConfig:
    """The resources reserved for one server: what is priced and what is billed."""

    cores: int
    memory_mib: int
    disk_gib: int

    def validated(self, limits: ResourceLimits) -> ServerConfig:
        limits.cores.check("cores", self.cores)
        limits.memory_mib.check("memory", self.memory_mib)
        limits.disk_gib.check("disk", self.disk_gib)
        return self


def disk_can_become(current_gib: int, wanted_gib: int) -> bool:
    """Disks only grow: a filesystem cannot be shrunk safely, so a disk keeps its size or grows.
    The one statement of that rule; resizes, the warm pool and the hypervisors all ask it."""
    return wanted_gib >= current_gib


@attrs.frozen
class Rates:
    """Hourly list prices of one location."""

    per_core: Money
    per_gib_memory: Money
    per_gib_disk: Money

    def __attrs_post_init__(self) -> None:
        # hourly() sums raw micro-units, so the currency check Money's arithmetic would make is
        # ours.
        if not self.per_core.currency == self.per_gib_memory.currency == self.per_gib_disk.currency:
            raise ValueError("the rates of a location are in one currency")

    def hourly(self, config: ServerConfig, image: OsImage) -> Money:
        # One division for the whole sum, so memory sold in MiB against a per-GiB rate rounds once.
        per_mib = (
            self.per_core.micro * config.cores * MIB_PER_GIB
            + self.per_gib_memory.micro * config.memory_mib
            + self.per_gib_disk.micro * config.disk_gib * MIB_PER_GIB
        )
        resources = Money(per_mib, self.per_core.currency).scale(1, MIB_PER_GIB, Rounding.HALF_UP)
        return resources + image.licence_hourly


@attrs.frozen
class Tariff:
    """A named preset of resources whose monthly price also caps the month's bill."""

    id: int
    name: str
    config: ServerConfig
    monthly_price: Money
    location_ids: frozenset[int] = frozenset()  # empty: offered everywhere

    def offered_at(self, location_id: int) -> bool:
        return not self.location_ids or location_id in self.location_ids


@attrs.frozen
class Catalogue:
    version: int
    currency: str
    locations: tuple[Location, ...]
    images: tuple[OsImage, ...]
    tariffs: tuple[Tariff, ...]
    limits: ResourceLimits
    rates: dict[int, Rates] = attrs.field(hash=False)  # by location id

    def location(self, location_id: int) -> Location:
        return _find(self.locations, location_id, "location")

    def image(self, image_id: int) -> OsImage:
        return _find(self.images, image_id, "os")

    def tariff(self, tariff_id: int) -> Tariff:
        return _find(self.tariffs, tariff_id, "tariff")

    def rates_at(self, location_id: int) -> Rates:
        try:
            return self.rates[location_id]
        except KeyError:
            raise NotFound("location", location_id) from None


def _find(items: tuple[_Item, ...], ident: int, kind: str) -> _Item:
    for item in items:
        if item.id == ident:
            return item
    raise NotFound(kind, ident)
