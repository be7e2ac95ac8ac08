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
import unicodedata
from collections.abc import Callable
from typing import Any, TypeVar

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
from domain.model.errors import RuleViolation, ValidationError
from domain.model.money import Money

T = TypeVar("T")
Document = dict[str, Any]

MAX_INT = 2_147_483_647  # what the database's integer columns (ids, sizes) hold
MAX_TEXT = 255
_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_LIMITS = ("cores", "memory_mib", "disk_gib")
_RATES = ("per_core", "per_gib_memory", "per_gib_disk")
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


class _Table:
    """One table of the document, read key by key; what is wrong is noted, never raised."""

    def __init__(self, problems: list[str], place: str, data: object, sep: str = " ") -> None:
        self.problems = problems
        self.place = place
        self.sep = sep  # between the place and a key: "[[images]] #1 name", "[limits] cores.min"
        self.ok = isinstance(data, dict)
        self.data: dict[str, Any] = data if isinstance(data, dict) else {}
        if not self.ok:
            self.note("", "must be a table")

    def note(self, key: str, problem: str) -> None:
        where = f"{self.place}{self.sep}{key}".strip() if key else self.place
        self.problems.append(f"{where}: {problem}")

    def only(self, allowed: set[str]) -> None:
        for key in sorted(set(self.data) - allowed):
            self.note(key, "is not a known key")

    def _get(self, key: str, kind: type[T], what: str, default: T | None) -> T | None:
        if key not in self.data:
            if default is None:
                self.note(key, "is missing")
            return default
        value = self.data[key]
        if type(value) is not kind:  # a bool is no integer here, a float no money
            self.note(key, f"must be {what}")
            return None
        return value  # type: ignore[no-any-return]

    def text(
        self, key: str, default: str | None = None, pattern: re.Pattern[str] | None = None
    ) -> str:
        value = self._get(key, str, "a string", default)
        if value is None:
            return ""
        if not value.strip():
            self.note(key, "must not be empty")
        elif len(value) > MAX_TEXT:
            self.note(key, f"must be at most {MAX_TEXT} characters")
        elif any(unicodedata.category(c) == "Cc" for c in value):
            self.note(key, "must not hold control characters")
        elif pattern is not None and not pattern.match(value):
            self.note(key, f"must match {pattern.pattern}")
        return value

    def integer(self, key: str, minimum: int = 1) -> int:
        value = self._get(key, int, "an integer", None)
        if value is None:
            return 0
        if not minimum <= value <= MAX_INT:
            self.note(key, f"must be within {minimum}..{MAX_INT}")
        return value

    def flag(self, key: str) -> bool:
        return bool(self._get(key, bool, "true or false", None))

    def money(self, key: str, currency: str, default: str | None = None) -> Money:
        raw = self.data.get(key, default)
        if raw is None:
            self.note(key, "is missing")
            return Money.zero(currency)
        try:
            amount = Money.parse(raw, currency, field=key)
        except ValidationError as ex:
            self.note(key, ex.message.removeprefix(f"{key} ") + " (money is never a float)")
            return Money.zero(currency)
        if amount.micro < 0:
            self.note(key, "must not be negative")
        return amount

    def choice(self, key: str, options: tuple[str, ...]) -> str:
        value = self._get(key, str, "a string", None)
        if value is not None and value not in options:
            self.note(key, f"must be one of {', '.join(options)}")
            return ""
        return value or ""

    def table(self, key: str, *, required: bool = True, label: str = "") -> _Table | None:
        if key not in self.data:
            if required:
                self.note(label or key, "is missing")
            return None
        place = f"{self.place}{self.sep}{label or key}".strip()
        return _Table(self.problems, place, self.data[key], sep=" " if label else ".")

    def entries(
        self, key: str, label: Callable[[dict[str, Any]], str], *, needed: bool = True
    ) -> list[_Table]:
        value = self.data.get(key)
        if key in self.data and not isinstance(value, list):
            self.note(f"[[{key}]]", "must be an array of tables")
            return []
        if not value:
            if needed:
                self.note(f"[[{key}]]", "at least one is needed")
            return []
        tables = []
        for n, item in enumerate(value, start=1):
            name = label(item) if isinstance(item, dict) else ""
            tables.append(_Table(self.problems, f"[[{key}]] #{n}{name}", item))
        return tables


def _label(key: str) -> Callable[[dict[str, Any]], str]:
    def label(item: dict[str, Any]) -> str:
        value = item.get(key)
        if not isinstance(value, str) or not value:
            return ""
        # Shown on a terminal: a control character is written out, never sent as itself.
        shown = "".join(
            f"\\x{ord(c):02x}" if unicodedata.category(c) == "Cc" else c for c in value[:60]
        )
        return f" ({shown})"

    return label


def _unique(tables: list[_Table], values: list[T], key: str) -> None:
    seen: set[T] = set()
    for table, value in zip(tables, values, strict=True):
        if value in seen:
            table.note(key, f"{value!r} is used by another entry")
        seen.add(value)


def read_catalogue(document: object, *, currency: str, version: int) -> Catalogue:
    """The catalogue `document` describes, as `version`; CatalogueRejected lists every problem."""
    problems: list[str] = []
    top = _Table(problems, "", document)
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


def _limits(top: _Table) -> ResourceLimits | None:
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


def _locations(top: _Table, currency: str, sound: list[Location]) -> list[tuple[Location, Rates]]:
    tables = top.entries("locations", _label("code"))
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
        amounts = [Money.zero(currency)] * len(_RATES)
        if rates_table is not None:
            rates_table.only(set(_RATES))
            amounts = [rates_table.money(key, currency) for key in _RATES]
        read.append((location, Rates(*amounts)))
        if len(top.problems) == known:
            sound.append(location)
    _unique(tables, [loc.id for loc, _ in read], "id")
    _unique(tables, [loc.code for loc, _ in read], "code")
    return read


def _images(
    top: _Table, currency: str, codes: dict[str, int], sound: list[OsImage]
) -> list[OsImage]:
    tables = top.entries("images", _label("name"))
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
    _unique(tables, [image.id for image in images], "id")
    return images


def _templates(t: _Table, kind: str, codes: dict[str, int]) -> tuple[LocationTemplate, ...]:
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
    top: _Table, currency: str, codes: dict[str, int], limits: ResourceLimits | None
) -> list[Tariff]:
    # None at all is a shop that sells by the resource only.
    tables = top.entries("tariffs", _label("name"), needed=False)
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
    _unique(tables, [tariff.id for tariff in tariffs], "id")
    return tariffs


def write_catalogue(catalogue: Catalogue) -> Document:
    """The document `read_catalogue` reads back into an equal catalogue (version aside)."""
    code_of = {loc.id: loc.code for loc in catalogue.locations}

    def amount(money: Money) -> str:
        return money.format(6).rstrip("0").rstrip(".") if money.micro % 10_000 else money.format()

    def bounds(r: ResourceRange) -> Document:
        return {"min": r.minimum, "max": r.maximum, "step": r.step}

    def image(i: OsImage) -> Document:
        out: Document = {
            "id": i.id,
            "name": i.name,
            "family": i.family,
            "version": i.version,
            "os_type": i.os_type,
            "kind": i.guest_kind.value,
            "licence_hourly": amount(i.licence_hourly),
            "default_user": i.default_user,
        }
        if i.guest_kind is GuestKind.QEMU:
            out["guest_agent"] = i.guest_agent
        if i.template:
            out["template"] = i.template
        if i.templates:
            out["templates"] = {code_of[t.location_id]: t.template for t in i.templates}
        return out

    def tariff(t: Tariff) -> Document:
        out: Document = {
            "id": t.id,
            "name": t.name,
            "cores": t.config.cores,
            "memory_mib": t.config.memory_mib,
            "disk_gib": t.config.disk_gib,
            "monthly": amount(t.monthly_price),
        }
        if t.location_ids:
            out["locations"] = sorted(code_of[i] for i in t.location_ids)
        return out

    limits = catalogue.limits
    return {
        "version": catalogue.version,
        "currency": catalogue.currency,
        "limits": {
            "cores": bounds(limits.cores),
            "memory_mib": bounds(limits.memory_mib),
            "disk_gib": bounds(limits.disk_gib),
        },
        "locations": [
            {
                "id": loc.id,
                "code": loc.code,
                "name": loc.name,
                "country": loc.country,
                "city": loc.city,
                "datacenter": loc.datacenter,
                "rates": {key: amount(getattr(catalogue.rates_at(loc.id), key)) for key in _RATES},
            }
            for loc in catalogue.locations
        ],
        "images": [image(i) for i in catalogue.images],
        "tariffs": [tariff(t) for t in catalogue.tariffs],
    }
