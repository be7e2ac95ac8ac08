"""Firewall rules, 1:1 NAT mappings and the firewall apply endpoint.

Rules append at the end of the one global list unless `placement` says otherwise; `descr` is not
unique (duplicates are the client's problem); `tracker` is the creation second. Rule writes mark
nothing dirty (the package's quirk, see `Options`); 1:1 NAT writes mark `natconf`. Both become live
only at `POST /firewall/apply` (or `apply: true`).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from .envelope import invalid
from .handlers_common import ListModel, Request
from .schema import FIREWALL_RULE, ONE_TO_ONE_NAT
from .store import FIREWALL_SUBSYSTEMS
from .validation import require_port


def _check_rule(req: Request, rule: dict[str, Any], index: int | None, parent: str | None) -> None:
    if len(rule["interface"]) > 1 and not rule["floating"]:
        raise invalid(
            "FIREWALL_RULE_MULTIPLE_INTERFACE_WITHOUT_FLOATING",
            "Field `interface` cannot contain more than one value unless `floating` is enabled.",
        )
    if rule["statetype"] == "synproxy state" and rule["protocol"] != "tcp":
        raise invalid(
            "FIREWALL_RULE_SYNPROXY_STATE_TYPE_WITH_NON_TCP_PROTOCOL",
            "Field `statetype` cannot be `synproxy state` unless `protocol` is `tcp`.",
        )
    for name in ("source_port", "destination_port"):
        require_port(name, rule[name])
    for name in ("source", "destination"):
        if not rule[name].strip():
            raise invalid("FIELD_EMPTY_NOT_ALLOWED", f"Field `{name}` cannot be empty.")


def _stamp_rule(req: Request, rule: dict[str, Any], creating: bool) -> None:
    now = req.store.stamp()
    if creating:
        rule.update(tracker=now, created_time=now, created_by=req.client)
    rule.update(updated_time=now, updated_by=req.client)


def _rules_touched(req: Request) -> None:
    if req.options.rules_mark_filter_dirty:
        req.store.dirty.add("filter")


def _check_one_to_one(req: Request, nat: dict[str, Any], index: int | None, _: str | None) -> None:
    external = nat["external"]
    if external.endswith(":ip"):  # an interface's own address
        return
    try:
        address = ipaddress.ip_address(external)
    except ValueError:
        raise invalid(
            "IP_ADDRESS_VALIDATOR_FAILED", "Field `external` must be an IP address."
        ) from None
    if (address.version == 4) != (nat["ipprotocol"] == "inet"):
        raise invalid(
            "ONE_TO_ONE_NAT_MAPPING_EXTERNAL_IP_DOES_NOT_MATCH_IPPROTOCOL",
            "Field `external` is not an IP address of the IP family assigned in `ipprotocol`.",
        )


RULES = ListModel(
    name="firewall rule",
    schema=FIREWALL_RULE,
    lists=lambda store: {"": store.saved.rules},
    check=_check_rule,
    touched=_rules_touched,
    apply_area="firewall",
    minimum=1,
    stamp=_stamp_rule,
)

ONE_TO_ONE = ListModel(
    name="1:1 NAT mapping",
    schema=ONE_TO_ONE_NAT,
    lists=lambda store: {"": store.saved.one_to_one},
    check=_check_one_to_one,
    touched=lambda req: req.store.dirty.add("natconf"),
    apply_area="firewall",
)


def apply_status(req: Request) -> dict[str, Any]:
    pending = [s for s in FIREWALL_SUBSYSTEMS if s in req.store.dirty]
    busy = "firewall" in req.store.applying
    return {"applied": not pending and not busy, "pending_subsystems": pending}


def apply_now(req: Request) -> dict[str, Any]:
    req.run_apply("firewall", req.is_async())
    return apply_status(req)
