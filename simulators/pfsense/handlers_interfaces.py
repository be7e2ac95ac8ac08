"""VLANs (live at once), interface assignments (live after `POST /interface/apply`) and the list
of assignable ports.

Interface ids are strings: a new assignment takes `lan` if free, else the lowest free `optN`, so a
deleted `opt3` is handed out again. Deleting an assignment takes it down at once and, like the
package, drops its DHCP server and the rules bound to it alone (the rules stay live until the next
firewall apply).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from .envelope import ApiError, conflict, invalid, not_found, schema_violation
from .handlers_common import ListModel, Request
from .query import arrange, matches, parse_filters
from .schema import INTERFACE_ASSIGNMENT, VLAN
from .validation import clean, control_flag, ipv4

# --- VLANs --------------------------------------------------------------------------------------


def _check_vlan(req: Request, vlan: dict[str, Any], index: int | None, _: str | None) -> None:
    if vlan["if"] not in req.store.ports:
        raise invalid(
            "VLAN_INTERFACE_PARENT_NOT_FOUND", f"Parent interface `{vlan['if']}` does not exist."
        )
    for i, other in enumerate(req.store.saved.vlans):
        if i != index and (other["if"], other["tag"]) == (vlan["if"], vlan["tag"]):
            raise invalid(
                "MODEL_FIELDS_NOT_UNIQUE_TOGETHER",
                f"Fields `if` and `tag` must be unique together; VLAN with ID `{i}` has them.",
            )
    vlan["vlanif"] = f"{vlan['if']}.{vlan['tag']}"


def _assigned_to(req: Request, device: str) -> str | None:
    return next((k for k, v in req.store.saved.interfaces.items() if v["if"] == device), None)


class _VlanModel(ListModel):
    def _remove(self, req: Request, items: list[dict[str, Any]], index: int) -> None:
        user = _assigned_to(req, items[index]["vlanif"])
        if user is not None and req.options.strict_in_use:
            raise conflict(
                "MODEL_CANNOT_BE_DELETED_WHILE_REFERENCED",
                f"VLAN with ID `{index}` cannot be deleted while interface `{user}` uses it.",
                data=[{"model": "NetworkInterface", "id": user}],
            )
        super()._remove(req, items, index)


VLANS = _VlanModel(
    name="VLAN",
    schema=VLAN,
    lists=lambda store: {"": store.saved.vlans},
    check=_check_vlan,
    touched=lambda req: req.store.sync_vlans(),  # always applied
)


# --- interface assignments ----------------------------------------------------------------------


def _view(req: Request, interface_id: str) -> dict[str, Any]:
    return {"id": interface_id, **req.store.saved.interfaces[interface_id]}


def _interface_id(req: Request) -> str:
    raw = req.params.get("id")
    if raw in (None, ""):
        raise schema_violation("MODEL_REQUIRES_ID", "Field `id` is required.")
    if str(raw) not in req.store.saved.interfaces:
        raise not_found(raw)
    return str(raw)


def _next_id(req: Request) -> str:
    taken = req.store.saved.interfaces
    if "lan" not in taken:
        return "lan"
    return next(f"opt{n}" for n in range(1, 65536) if f"opt{n}" not in taken)


def _check_interface(req: Request, obj: dict[str, Any], own_id: str | None) -> None:
    others = {k: v for k, v in req.store.saved.interfaces.items() if k != own_id}
    if obj["if"] not in available_ports(req):
        raise invalid("FIELD_INVALID_CHOICE", f"Field `if` has no port `{obj['if']}`.")
    for name in ("if", "descr"):
        if any(v[name] == obj[name] for v in others.values()):
            raise invalid("FIELD_MUST_BE_UNIQUE", f"Field `{name}` must be unique.")
    descr = obj["descr"]
    if descr.startswith("pkg_"):
        raise invalid("FILTER_NAME_VALIDATOR_CANNOT_START_WITH_PKG", "`descr` starts with pkg_.")
    if descr.isdigit():
        raise invalid("FILTER_NAME_VALIDATOR_CANNOT_BE_NUMERICAL", "`descr` is all digits.")
    if descr in others:
        raise invalid(
            "FILTER_NAME_VALIDATOR_NAME_IN_USE_BY_INTERFACE", f"`{descr}` is an interface id."
        )
    if obj["typev4"] == "dhcp":
        obj["ipaddr"] = "dhcp"
    if obj["typev4"] != "static":
        if own_id and req.store.saved.dhcp_servers.get(own_id, {}).get("enable"):
            raise invalid(
                "NETWORK_INTERFACE_CANNOT_CHANGE_TYPEV4_WHILE_DHCP_SERVER_ENABLED",
                "Field `typev4` cannot leave `static` while a DHCP server is enabled here.",
            )
        return
    address = ipv4(obj["ipaddr"])
    if address is None:
        raise invalid(
            "INTERFACE_IPADDR_NOT_IPV4_WHEN_STATIC",
            "Interface `ipaddr` must be an IPv4 address when `typev4` is set to `static`",
        )
    network = ipaddress.IPv4Network(f"{address}/{obj['subnet']}", strict=False)
    for other in others.values():
        if other["typev4"] != "static":
            continue
        theirs = ipaddress.IPv4Network(f"{other['ipaddr']}/{other['subnet']}", strict=False)
        if theirs.overlaps(network):
            raise invalid(
                "INTERFACE_IPADDR_ALREADY_IN_USE",
                f"Interface `ipaddr` cannot use {address} because it is currently in use",
            )
    if obj["subnet"] < 31 and address in (network.network_address, network.broadcast_address):
        raise invalid(
            "NETWORK_INTERFACE_IPADDR_CANNOT_USE_NETWORK_ADDRESS",
            f"Interface `ipaddr` cannot use {address}: it is the network or broadcast address",
        )


def _after_interface_write(req: Request, interface_id: str) -> None:
    obj = req.store.saved.interfaces[interface_id]
    if req.options.implicit_dhcp_servers and obj["typev4"] == "static" and obj["subnet"] < 31:
        req.store.ensure_dhcp_server(interface_id)  # before v2.7.0 only
    req.store.mark_interface_pending(interface_id)
    if req.apply_requested():
        req.run_apply("interfaces", req.is_async())


def read_interface(req: Request) -> dict[str, Any]:
    return _view(req, _interface_id(req))


def read_interfaces(req: Request) -> list[dict[str, Any]]:
    triples = parse_filters(req.params, ["id", *INTERFACE_ASSIGNMENT])
    views = [_view(req, k) for k in req.store.saved.interfaces]
    return arrange([v for v in views if matches(v, triples)], req.params)


def create_interface(req: Request) -> dict[str, Any]:
    obj = clean(INTERFACE_ASSIGNMENT, req.params)
    _check_interface(req, obj, None)
    interface_id = _next_id(req)
    req.store.saved.interfaces[interface_id] = obj
    _after_interface_write(req, interface_id)
    return _view(req, interface_id)


def update_interface(req: Request) -> dict[str, Any]:
    interface_id = _interface_id(req)
    current = req.store.saved.interfaces[interface_id]
    obj = clean(INTERFACE_ASSIGNMENT, req.params, existing=current)
    _check_interface(req, obj, interface_id)
    req.store.saved.interfaces[interface_id] = obj
    _after_interface_write(req, interface_id)
    return _view(req, interface_id)


def delete_interface(req: Request) -> dict[str, Any]:
    interface_id = _interface_id(req)
    if interface_id == "wan":
        raise invalid(
            "NETWORK_INTERFACE_WAN_CANNOT_BE_DELETED", "Interface `wan` cannot be deleted."
        )
    shown = _view(req, interface_id)
    _take_down(req, interface_id)
    return shown


def delete_interfaces(req: Request) -> list[dict[str, Any]]:
    triples = parse_filters(req.params, ["id", *INTERFACE_ASSIGNMENT])
    if not triples and not control_flag(req.params, "all", False):
        raise schema_violation(
            "MODEL_DELETE_MANY_REQUIRES_QUERY_PARAMS",
            "At least one query parameter is required to delete many objects.",
        )
    doomed = [v for v in read_interfaces(req) if matches(v, triples)]
    deleted = []
    for shown in reversed(doomed):
        if shown["id"] == "wan":
            raise ApiError(
                400, "NETWORK_INTERFACE_WAN_CANNOT_BE_DELETED", "Interface `wan` cannot be deleted."
            )
        _take_down(req, shown["id"])
        deleted.append(shown)
    return deleted


def _take_down(req: Request, interface_id: str) -> None:
    store = req.store
    for layer in (store.saved, store.live):  # brought down and its DHCP server stopped at once
        layer.interfaces.pop(interface_id, None)
        layer.dhcp_servers.pop(interface_id, None)
        layer.static_mappings.pop(interface_id, None)
    store.saved.rules[:] = [r for r in store.saved.rules if r["interface"] != [interface_id]]
    if interface_id in store.pending_interfaces:
        store.pending_interfaces.remove(interface_id)


# --- assignable ports and the interface apply ---------------------------------------------------


def available_ports(req: Request) -> list[str]:
    return [*req.store.ports, *(v["vlanif"] for v in req.store.saved.vlans)]


def read_available(req: Request) -> list[dict[str, Any]]:
    rows = []
    for n, port in enumerate(available_ports(req)):
        rows.append(
            {"if": port, "mac": f"00:0c:29:00:00:{n:02x}", "in_use_by": _assigned_to(req, port)}
        )
    return rows


def apply_status(req: Request) -> dict[str, Any]:
    pending = [req.store.represent_interface(i) for i in req.store.pending_interfaces]
    busy = "interfaces" in req.store.applying
    return {"applied": not pending and not busy, "pending_interfaces": pending}


def apply_now(req: Request) -> dict[str, Any]:
    req.run_apply("interfaces", req.is_async())
    return apply_status(req)
