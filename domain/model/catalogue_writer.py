"""A catalogue written out as the document an operator edits (catalogue_document.py reads it)."""

from __future__ import annotations

from domain.model.catalogue import Catalogue, GuestKind, OsImage, ResourceRange, Tariff
from domain.model.catalogue_document import RATE_KEYS
from domain.model.document_table import Document
from domain.model.money import Money


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
                "rates": {
                    key: amount(getattr(catalogue.rates_at(loc.id), key)) for key in RATE_KEYS
                },
            }
            for loc in catalogue.locations
        ],
        "images": [image(i) for i in catalogue.images],
        "tariffs": [tariff(t) for t in catalogue.tariffs],
    }
