"""A server as its table row holds it, and back.

Writing goes through the strict row converter (rows.py). Reading is built by hand: a list of
servers is the API's most frequent read, and the generic converter spent some 50 us a server on
checks the columns' own types already make (an int column holds ints, a timestamptz is aware). What
no column type says is still checked here: a status or kind that no enum value names fails, and
every moment comes back in UTC. tests/contract/test_server_rows.py holds the two directions to
each other over servers in every shape.
"""

from __future__ import annotations

from typing import Any

from psycopg.types.json import Jsonb

from adapters.postgres.rows import converter, moment, unstructure
from adapters.postgres.session import Row
from domain.model.catalogue import GuestKind, ServerConfig
from domain.model.metering import Meter, PendingRate
from domain.model.money import Money
from domain.model.network import FirewallRule
from domain.model.promo import DiscountTerms
from domain.model.server import Placement, Server
from domain.model.server_status import ServerStatus

MONTH_COUNTERS = (
    "month_seconds",
    "month_list_micro",
    "month_carried_micro",
    "month_discounted_list_micro",
    "month_discount_micro",
)


def server_row(server: Server) -> Row:
    data = unstructure(server)
    meter = data.pop("meter")
    terms = meter["terms"]
    currency = meter["hourly"]["currency"]
    pending = meter["pending"]
    amounts = [meter["monthly_cap"], terms["first_charge_off"]]
    if pending is not None:
        amounts += [pending["hourly"], pending["monthly_cap"]]
    for amount in amounts:
        if amount is not None and amount["currency"] != currency:
            raise ValueError("a server's meter is kept in one currency")
    placement = data.pop("placement")
    config = data.pop("config")
    return {
        **data,
        **config,
        **placement,
        "saga_steps": list(data["saga_steps"]),
        "firewall": _rule_list(data["firewall"]),
        "firewall_pending": _rule_list(data["firewall_pending"]),
        "currency": currency,
        "hourly_micro": meter["hourly"]["micro"],
        "monthly_cap_micro": meter["monthly_cap"]["micro"],
        "discount_percent": terms["percent"],
        "discount_until": terms["until"],
        "first_charge_off_micro": (terms["first_charge_off"] or {}).get("micro"),
        "billed_until": meter["billed_until"],
        "meter_month": meter["month"],
        **{k: meter[k] for k in MONTH_COUNTERS},
        "pending_hourly_micro": pending["hourly"]["micro"] if pending else None,
        "pending_monthly_cap_micro": pending["monthly_cap"]["micro"] if pending else None,
        "pending_starts": pending["starts"] if pending else None,
    }


def _rule_list(rules: list[dict[str, Any]] | None) -> Jsonb | None:
    # A rule list is read and written whole, so it is one JSON array column (NULL: none set).
    return None if rules is None else Jsonb(rules)


def server_from(r: Row) -> Server:
    currency = r["currency"]
    return Server(
        id=r["id"],
        owner_id=r["owner_id"],
        name=r["name"],
        location_id=r["location_id"],
        image_id=r["image_id"],
        tariff_id=r["tariff_id"],
        guest_kind=GuestKind(r["guest_kind"]),
        config=ServerConfig(r["cores"], r["memory_mib"], r["disk_gib"]),
        status=ServerStatus(r["status"]),
        created_at=moment(r["created_at"]),
        updated_at=moment(r["updated_at"]),
        catalogue_version=r["catalogue_version"],
        meter=_meter(r, currency),
        hold_key=r["hold_key"],
        promo_code=r["promo_code"],
        placement=Placement(r["node"], r["vmid"], r["ip_address"], r["mac_address"], r["vlan"]),
        active_action_id=r["active_action_id"],
        stopped_by_dunning=r["stopped_by_dunning"],
        suspended_by_admin=r["suspended_by_admin"],
        failure_reason=r["failure_reason"],
        deleted_at=_maybe_moment(r["deleted_at"]),
        saga_steps=tuple(r["saga_steps"]),
        firewall=_rules(r["firewall"]),
        firewall_pending=_rules(r["firewall_pending"]),
    )


def _meter(r: Row, currency: str) -> Meter:
    first_charge_off = r["first_charge_off_micro"]
    return Meter(
        hourly=Money(r["hourly_micro"], currency),
        monthly_cap=Money(r["monthly_cap_micro"], currency),
        terms=DiscountTerms(
            r["discount_percent"],
            _maybe_moment(r["discount_until"]),
            None if first_charge_off is None else Money(first_charge_off, currency),
        ),
        billed_until=moment(r["billed_until"]),
        month=moment(r["meter_month"]),
        month_seconds=r["month_seconds"],
        month_list_micro=r["month_list_micro"],
        month_carried_micro=r["month_carried_micro"],
        month_discounted_list_micro=r["month_discounted_list_micro"],
        month_discount_micro=r["month_discount_micro"],
        pending=_pending(r, currency),
    )


def _pending(r: Row, currency: str) -> PendingRate | None:
    hourly = r["pending_hourly_micro"]
    if hourly is None:
        return None  # the table's check keeps the three columns NULL together
    return PendingRate(
        Money(hourly, currency),
        Money(r["pending_monthly_cap_micro"], currency),
        moment(r["pending_starts"]),
    )


def _maybe_moment(value: Any) -> Any:
    return None if value is None else moment(value)


def _rules(rules: list[dict[str, Any]] | None) -> tuple[FirewallRule, ...] | None:
    # Rare (a customer's own rules) and JSON, whose types no column checks: the strict converter.
    return None if rules is None else converter.structure(rules, tuple[FirewallRule, ...])
