"""JSON views of domain objects: the only place that decides how things look on the wire.

Money is `{"amount": "300.00", "currency": "RUB"}` (hourly rates keep six places); times are
RFC 3339 in UTC; ids are integers; the seed API's field names are kept (camelCase).
"""

from __future__ import annotations

from typing import Any

from domain.model.action import Action
from domain.model.catalogue import (
    HOURS_PER_MONTH,
    Catalogue,
    Location,
    OsImage,
    ResourceRange,
    Tariff,
)
from domain.model.network import FirewallRule
from domain.model.server import Server, ServerStatus
from domain.usecases.catalogue import SignedQuote
from domain.usecases.firewall import ServerFirewall
from entrypoints.http.json_accounts import (
    account,
    audit_entry,
    notice,
    promo,
    token,
    transaction,
)
from entrypoints.http.json_values import Json, money, page, rate, when
from ports.hypervisor import GuestStats, RrdPoint, SnapshotInfo

# The views of accounts and records (json_accounts.py) and the shared shapes (json_values.py) are
# reached through this module too: `codec.<view>` is every view.
__all__ = [
    "Json",
    "account",
    "audit_entry",
    "money",
    "notice",
    "page",
    "promo",
    "rate",
    "token",
    "transaction",
    "when",
]


def location(loc: Location) -> Json:
    return {
        "id": loc.id,
        "code": loc.code,
        "name": loc.name,
        "country": loc.country,
        "city": loc.city,
        "datacenter": loc.datacenter,
    }


def os_image(image: OsImage) -> Json:
    return {
        "id": image.id,
        "name": image.name,
        "type": image.os_type,
        "family": image.family,
        "version": image.version,
        "guestKind": image.guest_kind.value,
        "licenceHourly": rate(image.licence_hourly),
        "defaultUser": image.default_user,
        "passwordReset": image.password_resettable,
    }


def tariff(t: Tariff) -> Json:
    return {
        "id": t.id,
        "name": t.name,
        "cores": t.config.cores,
        "memory": t.config.memory_mib,
        "disk": t.config.disk_gib,
        "price": money(t.monthly_price),
        "locationIds": sorted(t.location_ids),
    }


def _range(r: ResourceRange, unit: str) -> Json:
    return {"min": r.minimum, "max": r.maximum, "step": r.step, "unit": unit}


def parameters(catalogue: Catalogue) -> Json:
    return {
        "catalogueVersion": catalogue.version,
        "currency": catalogue.currency,
        "hoursPerMonth": HOURS_PER_MONTH,
        "limits": {
            "cores": _range(catalogue.limits.cores, "vCPU"),
            "memory": _range(catalogue.limits.memory_mib, "MiB"),
            "disk": _range(catalogue.limits.disk_gib, "GiB"),
        },
        "rates": [
            {
                "locationId": loc_id,
                "perCoreHour": rate(r.per_core),
                "perGibMemoryHour": rate(r.per_gib_memory),
                "perGibDiskHour": rate(r.per_gib_disk),
            }
            for loc_id, r in sorted(catalogue.rates.items())
        ],
    }


def quote(signed: SignedQuote) -> Json:
    q = signed.quote
    return {
        "quoteId": signed.quote_id,
        "expiresAt": when(signed.expires_at),
        "catalogueVersion": q.catalogue_version,
        "locationId": q.location_id,
        "osId": q.image_id,
        "tariffId": q.tariff_id,
        "cores": q.config.cores,
        "memory": q.config.memory_mib,
        "disk": q.config.disk_gib,
        "hourly": rate(q.hourly),
        "monthly": money(q.monthly),
        "discount": money(q.discount, 6),
        "firstCharge": money(q.first_charge, 6),
        "billingPeriodSeconds": q.period_seconds,
        "promoCode": q.promo_code,
    }


def server_status(status: ServerStatus) -> str:
    # The seed API calls a server that is not ready yet "creating".
    return (
        "creating" if status in (ServerStatus.PENDING, ServerStatus.PROVISIONING) else status.value
    )


def server(s: Server, catalogue: Catalogue) -> Json:
    """A server as the seed API shows it, plus what a client needs; never a password."""
    image = _maybe(catalogue.image, s.image_id)
    t = _maybe(catalogue.tariff, s.tariff_id) if s.tariff_id is not None else None
    return {
        "id": s.id,
        "userId": s.owner_id,
        "name": s.name,
        "tariffId": s.tariff_id,
        "osId": s.image_id,
        "locationId": s.location_id,
        "status": server_status(s.status),
        "proxmoxId": s.placement.vmid,
        "ipAddress": s.placement.ip_address,
        "cores": s.config.cores,
        "memory": s.config.memory_mib,
        "disk": s.config.disk_gib,
        "hourly": rate(s.meter.hourly),
        "monthly": money(s.meter.monthly_cap),
        "pendingPrice": _pending_price(s),
        "billedUntil": when(s.meter.billed_until),
        "failureReason": s.failure_reason,
        "createdAt": when(s.created_at),
        "updatedAt": when(s.updated_at),
        "os": {
            "id": s.image_id,
            "name": image.name if image else None,
            "type": image.os_type if image else None,
        },
        "tariff": {"id": t.id, "name": t.name, "price": money(t.monthly_price)} if t else None,
    }


def _pending_price(s: Server) -> Json | None:
    """The price a rebuild onto another licence set for the months from `startsAt`; `hourly` and
    `monthly` stay the price billed until then."""
    pending = s.meter.pending
    if pending is None:
        return None
    return {
        "hourly": rate(pending.hourly),
        "monthly": money(pending.monthly_cap),
        "startsAt": when(pending.starts),
    }


def _maybe(find: Any, ident: int) -> Any:
    try:
        return find(ident)
    except Exception:  # withdrawn from a later catalogue: the server still shows
        return None


def action(a: Action) -> Json:
    return {
        "id": a.id,
        "serverId": a.server_id,
        "command": a.command.value,
        "status": a.status.value,
        "progress": a.progress,
        "startedAt": when(a.started_at),
        "finishedAt": when(a.finished_at),
        "error": {"code": a.error.code, "message": a.error.message} if a.error else None,
    }


def accepted(a: Action, verb: str) -> Json:
    """The seed's answer to a power action: `{status, action, taskId}`; taskId is our action id."""
    return {
        "status": a.status.value,
        "action": verb,
        "taskId": a.id,
        "actionStatus": a.status.value,
    }


def firewall_rule(rule: FirewallRule) -> Json:
    """A rule in the shape a PUT takes it, so a client can edit what it read and send it back;
    fromPort and toPort are null for icmp."""
    return {
        "protocol": rule.protocol,
        "fromPort": rule.port_from,
        "toPort": rule.port_to,
        "source": rule.source,
        "description": rule.description,
    }


def firewall(view: ServerFirewall) -> Json:
    return {
        "rules": [firewall_rule(r) for r in view.rules],
        "applied": view.applied,
        "default": view.default,
    }


def live_stats(g: GuestStats) -> Json:
    """A guest's figures now: the status route's `stats.data` and the live feed's `stats`."""

    def usage(used: int, maximum: int) -> float:
        return round(used * 100 / maximum, 1) if maximum else 0.0

    return {
        "vmid": g.vmid,
        "status": g.status,
        "uptime": g.uptime,
        "cpu": round(g.cpu, 4),
        "memory": {
            "used": g.memory_used,
            "max": g.memory_max,
            "usage": usage(g.memory_used, g.memory_max),
        },
        "disk": {"used": g.disk_used, "max": g.disk_max, "usage": usage(g.disk_used, g.disk_max)},
        "network": {"in": g.net_in, "out": g.net_out},
    }


def stats(s: Server, g: GuestStats | None, rrd: list[RrdPoint]) -> Json:
    if g is None:
        return {
            "id": s.id,
            "status": server_status(s.status),
            "stats": {"status": "unavailable", "data": None},
        }
    history = [
        {
            "time": p.time,
            "cpu": round(p.cpu, 4),
            "memory": p.memory_used,
            "netin": p.net_in,
            "netout": p.net_out,
        }
        for p in rrd
    ]
    return {
        "id": s.id,
        "status": server_status(s.status),
        "stats": {"status": "success", "data": {**live_stats(g), "rrdData": history}},
    }


def snapshot(info: SnapshotInfo) -> Json:
    return {
        "name": info.name,
        "description": info.description,
        "snaptime": int(info.created_at.timestamp()) if info.created_at else None,
    }
