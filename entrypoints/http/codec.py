"""JSON views of domain objects: the only place that decides how things look on the wire.

Money is `{"amount": "300.00", "currency": "RUB"}` (hourly rates keep six places); times are
RFC 3339 in UTC; ids are integers; the seed API's field names are kept (camelCase).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from domain.model.accounts import Account, ApiToken
from domain.model.action import Action
from domain.model.catalogue import Catalogue, Location, OsImage, ResourceRange, Tariff
from domain.model.ledger import LedgerAccount, Transaction
from domain.model.money import Money
from domain.model.network import FirewallRule
from domain.model.notices import Notice
from domain.model.promo import PromoCode
from domain.model.server import Server, ServerStatus
from domain.usecases.catalogue import SignedQuote
from domain.usecases.firewall import ServerFirewall
from ports.audit import AuditRecord
from ports.hypervisor import GuestStats, RrdPoint, SnapshotInfo

Json = dict[str, Any]


def money(value: Money, places: int = 2) -> Json:
    return {"amount": value.format(places), "currency": value.currency}


def rate(value: Money) -> Json:
    """A price per hour: six places, because a fraction of a kopeck per hour adds up."""
    return money(value, 6)


def when(moment: dt.datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


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
        "hoursPerMonth": 730,
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


def account(a: Account) -> Json:
    return {
        "id": a.id,
        "email": a.email,
        "role": a.role.value,
        "standing": a.standing.value,
        "disabled": a.disabled,
        "currency": a.currency,
        "createdAt": when(a.created_at),
    }


def token(t: ApiToken) -> Json:
    return {
        "id": t.id,
        "name": t.name,
        "createdAt": when(t.created_at),
        "expiresAt": when(t.expires_at),
        "lastUsedAt": when(t.last_used_at),
    }


def transaction(tx: Transaction, customer_id: int) -> Json:
    """A transaction from the customer's side: what it did to their balance (and holds)."""
    wallet = tx.change_for(LedgerAccount.wallet(customer_id, tx.currency))
    held = tx.change_for(LedgerAccount.holds(customer_id, tx.currency))
    return {
        "id": tx.key,
        "type": tx.kind.value,
        "amount": money(Money(wallet, tx.currency), 6),
        "held": money(Money(held, tx.currency), 6),
        "description": tx.memo,
        "serverId": tx.server_id,
        "createdAt": when(tx.created_at),
    }


def promo(p: PromoCode) -> Json:
    return {
        "id": p.id,
        "code": p.code,
        "kind": p.kind.value,
        "percent": p.percent,
        "amount": money(p.amount) if p.amount else None,
        "duration": p.duration.value,
        "durationDays": p.duration_days,
        "validFrom": when(p.valid_from),
        "validUntil": when(p.valid_until),
        "maxUses": p.max_uses,
        "maxUsesPerCustomer": p.max_uses_per_customer,
        "tariffIds": sorted(p.tariff_ids),
        "locationIds": sorted(p.location_ids),
        "uses": p.uses,
        "active": p.active,
    }


def notice(n: Notice) -> Json:
    """An outbox entry as the admin reads it: what was (or would be) sent, and how it went."""
    return {
        "id": n.id,
        "userId": n.account_id,
        "to": n.to,
        "kind": n.template,
        "subject": n.subject,
        "text": n.body,
        "html": n.html,
        "status": n.status.value,
        "attempts": n.attempts,
        "lastError": n.last_error,
        "createdAt": when(n.created_at),
        "nextAttemptAt": when(n.next_attempt_at),
        "sentAt": when(n.sent_at),
        "failedAt": when(n.failed_at),
    }


def audit_entry(entry: AuditRecord) -> Json:
    return {
        "at": when(entry.at),
        "actorId": entry.actor_id,  # None: the system (a tick); 0: the operator's CLI
        "action": entry.action,
        "target": entry.target,
        "result": entry.result,
        "details": dict(entry.details),
    }


def page(items: list[Json], number: int, per_page: int, total: int) -> Json:
    return {
        "data": items,
        "meta": {
            "pagination": {
                "page": number,
                "per_page": per_page,
                "total": total,
                "pages": (total + per_page - 1) // per_page,
            }
        },
    }
