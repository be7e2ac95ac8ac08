"""The catalogue as an operator writes it: one document (a TOML file, or the same shape in JSON)
read into a Catalogue, and a Catalogue written back out.

Reading never stops at the first mistake: every problem is collected, each naming its place in the
document (`[[images]] #4 (Windows Server 2022) template: ...`, entries counted from 1 in the order
of the file), and the document is refused with all of them at once.

    currency = "RUB"
    [limits]          cores, memory_mib, disk_gib: {min, max, step}
    [[locations]]     id, code, name, country, city, datacenter; [locations.rates] per_core,
                      per_gib_memory, per_gib_disk (hourly, decimal strings)
    [[images]]        id, name, family, version, os_type (linux|windows), kind (lxc|qemu),
                      licence_hourly, template, [images.templates] (location code = template),
                      default_user, guest_agent (QEMU only, required there)
    [[tariffs]]       id, name, cores, memory_mib, disk_gib, monthly, locations (codes; none:
                      everywhere)

A `version` key is allowed and means "the version this was edited from" (see publish_catalogue).
"""

from __future__ import annotations

import re

from domain.model.catalogue import (
    Catalogue,
    GuestKind,
    Location,
    LocationTemplate,
    OsImage,
    Rates,
    ResourceLimits,
    ResourceRange,
    ServerConfig,
    Tariff,
    usual_user,
)
from domain.model.document_table import MAX_TEXT, Document, Table, label, unique
from domain.model.errors import RuleViolation, ValidationError
from domain.model.money import CURRENCY_PATTERN, Money

_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_CURRENCY = re.compile(CURRENCY_PATTERN)
_LIMITS = ("cores", "memory_mib", "disk_gib")
RATE_KEYS = ("per_core", "per_gib_memory", "per_gib_disk")
_OS_TYPES = ("linux", "windows")
_TOP = {"version", "currency", "limits", "locations", "images", "tariffs"}
_LOCATION_KEYS = {"id", "code", "name", "country", "city", "datacenter", "rates"}
_IMAGE_KEYS = {
    "id",
    "name",
    "family",
    "version",
    "os_type",
    "kind",
    "licence_hourly",
    "template",
    "templates",
    "default_user",
    "guest_agent",
}
_TARIFF_KEYS = {"id", "name", "cores", "memory_mib", "disk_gib", "monthly", "locations"}


class CatalogueRejected(RuleViolation):
    """A catalogue document with problems; `problems` lists every one, each naming its place.
    The document is read whole, by rules no request schema states: a 422, as every such rule.

    `sound` holds the locations and images that were read without a problem of their own, so
    that their templates can still be checked and reported in the same breath."""

    def __init__(
        self,
        problems: list[str],
        sound: tuple[tuple[Location, ...], tuple[OsImage, ...]] = ((), ()),
    ) -> None:
        super().__init__("catalogue", f"has {len(problems)} problem(s)", problems=problems)
        self.problems = problems
        self.sound = sound


def read_catalogue(document: Document, *, currency: str, version: int) -> Catalogue:
    """The catalogue `document` describes, as `version`; CatalogueRejected lists every problem."""
    problems: list[str] = []
    top = Table(problems, "", document)
    if not top.ok:
        raise CatalogueRejected(["the catalogue must be a table (a TOML file or a JSON object)"])
    top.only(_TOP)
    if "version" in top.data:
        top.integer("version", minimum=0)
    written = top.text("currency", pattern=_CURRENCY)
    if written and written != currency:
        top.note("currency", f"must be {currency}, the currency of this installation")
    limits = _limits(top)
    sound_locations: list[Location] = []
    locations = _locations(top, currency, sound_locations)
    codes = {loc.code: loc.id for loc, _ in locations}
    sound_images: list[OsImage] = []
    images = _images(top, currency, codes, sound_images)
    tariffs = _tariffs(top, currency, codes, limits)
    if problems:
        raise CatalogueRejected(problems, (tuple(sound_locations), tuple(sound_images)))
    assert limits is not None
    return Catalogue(
        version=version,
        currency=currency,
        locations=tuple(loc for loc, _ in locations),
        images=tuple(images),
        tariffs=tuple(tariffs),
        limits=limits,
        rates={loc.id: rates for loc, rates in locations},
    )


def _limits(top: Table) -> ResourceLimits | None:
    table = top.table("limits", label="[limits]")
    if table is None:
        return None
    table.only(set(_LIMITS))
    ranges: list[ResourceRange] = []
    for key in _LIMITS:
        bounds = table.table(key)
        if bounds is None:
            continue
        known = len(top.problems)
        bounds.only({"min", "max", "step"})
        low, high = bounds.integer("min"), bounds.integer("max")
        step = bounds.integer("step") if "step" in bounds.data else 1
        if len(top.problems) == known and low > high:
            bounds.note("max", f"must not be below min ({low})")
        if len(top.problems) == known:
            ranges.append(ResourceRange(low, high, step))
    # Only sound limits are worth checking the tariffs against: a broken one would echo there.
    return ResourceLimits(*ranges) if len(ranges) == len(_LIMITS) else None


def _locations(top: Table, currency: str, sound: list[Location]) -> list[tuple[Location, Rates]]:
    tables = top.entries("locations", label("code"))
    read: list[tuple[Location, Rates]] = []
    for t in tables:
        known = len(top.problems)
        t.only(_LOCATION_KEYS)
        location = Location(
            id=t.integer("id"),
            code=t.text("code", pattern=_CODE),
            name=t.text("name"),
            country=t.text("country", pattern=_COUNTRY),
            city=t.text("city"),
            datacenter=t.text("datacenter"),
        )
        rates_table = t.table("rates")
        amounts = [Money.zero(currency)] * len(RATE_KEYS)
        if rates_table is not None:
            rates_table.only(set(RATE_KEYS))
            amounts = [rates_table.money(key, currency) for key in RATE_KEYS]
        read.append((location, Rates(*amounts)))
        if len(top.problems) == known:
            sound.append(location)
    unique(tables, [loc.id for loc, _ in read], "id")
    unique(tables, [loc.code for loc, _ in read], "code")
    return read


def _images(
    top: Table, currency: str, codes: dict[str, int], sound: list[OsImage]
) -> list[OsImage]:
    tables = top.entries("images", label("name"))
    images: list[OsImage] = []
    for t in tables:
        known = len(top.problems)
        t.only(_IMAGE_KEYS)
        os_type = t.choice("os_type", _OS_TYPES)
        kind = t.choice("kind", tuple(k.value for k in GuestKind))
        if os_type == "windows" and kind == GuestKind.LXC.value:
            t.note("kind", "must be qemu for a Windows image")
            kind = GuestKind.QEMU.value  # read the rest as the VM it must be: no echoes
        guest_agent = True
        if kind == GuestKind.QEMU.value:
            guest_agent = t.flag("guest_agent")
        elif "guest_agent" in t.data:
            t.note("guest_agent", "applies to QEMU images only")
        templates = _templates(t, kind, codes)
        guest_kind = GuestKind(kind) if kind else GuestKind.QEMU  # a stand-in when unreadable
        user = t.text("default_user", default=usual_user(os_type))
        if guest_kind is GuestKind.LXC and user != "root":
            t.note("default_user", "must be root for a container (its password is root's)")
        image = OsImage(
            id=t.integer("id"),
            name=t.text("name"),
            family=t.text("family"),
            version=t.text("version"),
            os_type=os_type or "linux",
            guest_kind=guest_kind,
            licence_hourly=t.money("licence_hourly", currency, default="0"),
            template=t.data["template"] if isinstance(t.data.get("template"), str) else "",
            templates=templates,
            default_user=user,
            guest_agent=guest_agent,
        )
        images.append(image)
        if len(top.problems) == known:
            sound.append(image)
    unique(tables, [image.id for image in images], "id")
    return images


def _templates(t: Table, kind: str, codes: dict[str, int]) -> tuple[LocationTemplate, ...]:
    """The per-location templates, and a check that every location has one."""

    def check(key: str, value: str) -> None:
        if kind == GuestKind.QEMU.value and not (value.isdigit() and int(value) >= 100):
            t.note(key, f"{value!r} must be the vmid of a QEMU template (an integer, 100 or more)")
        elif kind == GuestKind.LXC.value and ":vztmpl/" not in value:
            t.note(key, f"{value!r} must be a container template volume, storage:vztmpl/file")

    default = ""
    if "template" in t.data:
        default = t.text("template")
        if default.strip():
            check("template", default)
    per_location: list[LocationTemplate] = []
    table = t.table("templates", required=False)
    if table is not None:
        for code, value in sorted(table.data.items()):
            if code not in codes:
                table.note(code, "is not the code of a location of this catalogue")
            elif type(value) is not str or not value.strip() or len(value) > MAX_TEXT:
                table.note(code, f"must be a template (a string of 1-{MAX_TEXT} characters)")
            else:
                check(f"templates.{code}", value)
                per_location.append(LocationTemplate(codes[code], value))
    covered = {entry.location_id for entry in per_location}
    bare = sorted(code for code, ident in codes.items() if ident not in covered)
    if not default.strip() and bare:
        t.note("template", f"is missing, and templates names no template for {', '.join(bare)}")
    return tuple(per_location)


def _tariffs(
    top: Table, currency: str, codes: dict[str, int], limits: ResourceLimits | None
) -> list[Tariff]:
    # None at all is a shop that sells by the resource only.
    tables = top.entries("tariffs", label("name"), needed=False)
    tariffs: list[Tariff] = []
    for t in tables:
        t.only(_TARIFF_KEYS)
        config = ServerConfig(t.integer("cores"), t.integer("memory_mib"), t.integer("disk_gib"))
        if limits is not None:
            for key, bounds, value in zip(
                _LIMITS,
                (limits.cores, limits.memory_mib, limits.disk_gib),
                (config.cores, config.memory_mib, config.disk_gib),
                strict=True,
            ):
                try:
                    bounds.check(key, value)
                except ValidationError as ex:
                    t.note(key, ex.message.removeprefix(f"{key} ") + " (the [limits])")
        where = t.data.get("locations", [])
        location_ids: set[int] = set()
        if not isinstance(where, list) or not all(type(c) is str for c in where):
            t.note("locations", "must be a list of location codes")
        else:
            for code in where:
                if code not in codes:
                    t.note("locations", f"{code!r} is not the code of a location")
                else:
                    location_ids.add(codes[code])
        known = len(top.problems)
        monthly = t.money("monthly", currency)
        if monthly.micro == 0 and len(top.problems) == known:
            t.note("monthly", "must be more than zero")
        tariffs.append(
            Tariff(t.integer("id"), t.text("name"), config, monthly, frozenset(location_ids))
        )
    unique(tables, [tariff.id for tariff in tariffs], "id")
    return tariffs
