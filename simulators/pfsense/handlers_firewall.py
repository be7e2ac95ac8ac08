"""Firewall rules, 1:1 NAT mappings, virtual IPs and their apply endpoints
(`Models/FirewallRule.inc`, `Models/OneToOneNATMapping.inc`, `Models/VirtualIP.inc`).

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
from .schema import FIREWALL_RULE, ONE_TO_ONE_NAT, VIRTUAL_IP
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


def _stamp_rule(req: Request, rule: dict[str, Any], creating: bool) -> None:
    now = req.store.stamp()
    if creating:
        rule.update(tracker=now, created_time=now, created_by=req.client)
    rule.update(updated_time=now, updated_by=req.client)


def _rules_touched(req: Request) -> None:
    if req.options.rules_mark_filter_dirty:
        req.store.dirty.add("filter")


def _check_one_to_one(req: Request, nat: dict[str, Any], index: int | None, _: str | None) -> None:
    """`Models/OneToOneNATMapping.inc` validate_external(): the address family must match."""
    external = nat["external"]
    if external.endswith(":ip"):  # an interface's own address
        return
    if (ipaddress.ip_address(external).version == 4) != (nat["ipprotocol"] == "inet"):
        raise invalid(
            "ONE_TO_ONE_NAT_MAPPING_EXTERNAL_IP_DOES_NOT_MATCH_IPPROTOCOL",
            "Field `external` is not an IP address of the IP family assigned in `ipprotocol`.",
        )


def _check_virtual_ip(req: Request, vip: dict[str, Any], index: int | None, _: str | None) -> None:
    """`Models/VirtualIP.inc`: `subnet` is an address (IPAddressValidator), unique among virtual
    IPs and not an interface's own address; `ipalias`/`carp` take single addresses only."""
    subnet = vip["subnet"]
    try:
        address = ipaddress.ip_address(subnet)
    except ValueError:
        raise invalid(
            "IP_ADDRESS_VALIDATOR_FAILED",
            f"Field `subnet` must be a valid IPv4 or IPv6 address, received `{subnet}`.",
        ) from None
    for i, other in enumerate(req.store.saved.virtual_ips):
        if i != index and other["subnet"] == subnet:
            raise invalid("FIELD_MUST_BE_UNIQUE", "Field `subnet` must be unique.")
    for interface_id, interface in req.store.saved.interfaces.items():
        if interface.get("ipaddr") == subnet:
            raise invalid(
                "UNIQUE_FROM_FOREIGN_MANY_MODEL_VALIDATOR_FAILED",
                f"Field `subnet` cannot be set to `{subnet}` because the value is already in use "
                f"by field `ipaddr` on `NetworkInterface` object with ID `{interface_id}`",
            )
    if vip["mode"] in ("ipalias", "carp") and vip["type"] == "network":
        raise invalid(
            "VIRTUALIP_MODE_DOES_NOT_SUPPORT_NETWORK_TYPE",
            "Virtual IPs `type` cannot be `network` when `mode` is `ipalias` or `carp`",
        )
    if address.version == 4 and vip["subnet_bits"] > 32:
        raise invalid(
            "VIRTUALIP_IPV4_SUBNET_BITS_EXCEEDED",
            "Virtual IP `subnet_bits` cannot exceed 32 when the `subnet` is an IPv4 address",
        )


def _stamp_virtual_ip(req: Request, vip: dict[str, Any], creating: bool) -> None:
    if creating:
        vip["uniqid"] = f"{req.store.stamp():x}{len(req.store.saved.virtual_ips):05x}"


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


VIRTUAL_IPS = ListModel(
    name="virtual IP",
    schema=VIRTUAL_IP,
    lists=lambda store: {"": store.saved.virtual_ips},
    check=_check_virtual_ip,
    # the package queues the change in /tmp/.firewall_virtual_ip.apply: live after the VIP apply
    touched=lambda req: req.store.dirty.add("vip"),
    apply_area="vip",
    stamp=_stamp_virtual_ip,
)


def vip_apply_status(req: Request) -> dict[str, Any]:
    """`Models/VirtualIPApply.inc`: applied when no change is queued."""
    return {"applied": "vip" not in req.store.dirty and "vip" not in req.store.applying}


def vip_apply_now(req: Request) -> dict[str, Any]:
    req.run_apply("vip", req.is_async())
    return vip_apply_status(req)
