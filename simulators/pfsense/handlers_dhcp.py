"""DHCP servers (at most one per static-IPv4 interface, id = interface id, created by POST since
v2.7.0), their static mappings and the DHCP apply endpoint (`Models/DHCPServer.inc`,
`Models/DHCPServerStaticMapping.inc`).

Static mappings live under their server (`parent_id`), are kept sorted by `ipaddr` in natural order
(so a create can move the ids of others), have a `mac` unique within the server and an `ipaddr`
that must be inside the interface subnet (400) and outside the primary range (409). Every write
marks `dhcpd` dirty; nothing is live before `POST /services/dhcp_server/apply`.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from .envelope import ApiError, conflict, invalid, not_found, schema_violation
from .handlers_common import ListModel, Request
from .query import arrange, matches, natural_key, parse_filters
from .schema import DHCP_SERVER, STATIC_MAPPING
from .validation import clean, ipv4, require_hostname, require_ipv4, require_mac

NESTED = ("staticmap", "pool", "numberoptions")


def _network(req: Request, interface_id: str) -> ipaddress.IPv4Network | None:
    interface = req.store.saved.interfaces.get(interface_id)
    if not interface or interface["typev4"] != "static":
        return None
    return ipaddress.IPv4Network(f"{interface['ipaddr']}/{interface['subnet']}", strict=False)


def _in_range(address: str | None, low: str, high: str) -> bool:
    a, lo, hi = ipv4(address or ""), ipv4(low), ipv4(high)
    return a is not None and lo is not None and hi is not None and lo <= a <= hi


# --- DHCP servers -------------------------------------------------------------------------------


def _server_view(req: Request, interface_id: str) -> dict[str, Any]:
    server = req.store.saved.dhcp_servers[interface_id]
    mappings = req.store.saved.static_mappings.get(interface_id, [])
    return {
        "id": interface_id,
        "interface": req.store.represent_interface(interface_id),
        **server,
        "staticmap": [STATIC_MAPPINGS.represent(req, m, i, interface_id) for i, m in
                      enumerate(mappings)],
        "pool": [],
        "numberoptions": [],
    }  # fmt: skip


def _server_id(req: Request) -> str:
    raw = req.params.get("id")
    if raw in (None, ""):
        raise schema_violation("MODEL_REQUIRES_ID", "Field `id` is required.")
    if str(raw) not in req.store.saved.dhcp_servers:
        raise not_found(raw)
    return str(raw)


def read_server(req: Request) -> dict[str, Any]:
    return _server_view(req, _server_id(req))


def read_servers(req: Request) -> list[dict[str, Any]]:
    triples = parse_filters(req.params, ["id", *DHCP_SERVER, *NESTED])
    views = [_server_view(req, i) for i in req.store.saved.dhcp_servers]
    return arrange([v for v in views if matches(v, triples)], req.params)


def update_server(req: Request) -> dict[str, Any]:
    interface_id = _server_id(req)
    _refuse_nested(req)
    params = dict(req.params)
    if "interface" in params:
        # the package moves the server to the interface named (its id follows); not simulated
        if req.store.resolve_interface(params["interface"]) != interface_id:
            raise ApiError(
                501, "SIMULATOR_NOT_IMPLEMENTED", "Moving a DHCP server is not simulated.",
                violation=True,
            )  # fmt: skip
        del params["interface"]
    current = {"interface": interface_id, **req.store.saved.dhcp_servers[interface_id]}
    server = clean(DHCP_SERVER, params, existing=current)
    return _store_server(req, interface_id, server)


def create_server(req: Request) -> dict[str, Any]:
    """`POST /services/dhcp_server` (v2.7.0 and later): `interface`, in the configured
    representation, names the interface and so the new server's id (`DHCPServer::get_next_id()`).
    The package writes the object at `dhcpd/<id>` whether or not one is there, so a POST for an
    interface that has a server replaces it, static mappings and all."""
    if req.options.implicit_dhcp_servers:
        raise _not_before_v27(req)
    _refuse_nested(req)
    server = clean(DHCP_SERVER, req.params, resolve_interface=req.store.resolve_interface)
    interface_id = server["interface"]
    req.store.saved.static_mappings[interface_id] = []
    return _store_server(req, interface_id, server)


def delete_server(req: Request) -> dict[str, Any]:
    if req.options.implicit_dhcp_servers:
        raise _not_before_v27(req)
    interface_id = _server_id(req)
    shown = _server_view(req, interface_id)
    del req.store.saved.dhcp_servers[interface_id]
    req.store.saved.static_mappings.pop(interface_id, None)
    req.store.dirty.add("dhcpd")
    if req.apply_requested():
        req.run_apply("dhcp", req.is_async())
    return shown


def _not_before_v27(req: Request) -> ApiError:
    return ApiError(
        405,
        "ENDPOINT_METHOD_NOT_ALLOWED",
        f"Resource at {req.path} does not support the {req.method} method.",
        violation=True,
    )


def _refuse_nested(req: Request) -> None:
    nested = [k for k in NESTED if k in req.params]
    if nested:
        raise ApiError(
            501,
            "SIMULATOR_NOT_IMPLEMENTED",
            f"Writing nested `{nested[0]}` through the server is not simulated; use its endpoint.",
            violation=True,
        )


def _store_server(req: Request, interface_id: str, server: dict[str, Any]) -> dict[str, Any]:
    server.pop("interface", None)  # representation only: the id is the interface
    _check_server(req, interface_id, server)
    req.store.saved.dhcp_servers[interface_id] = server
    req.store.saved.static_mappings.setdefault(interface_id, [])
    req.store.dirty.add("dhcpd")
    if req.apply_requested():
        req.run_apply("dhcp", req.is_async())
    return _server_view(req, interface_id)


def _check_server(req: Request, interface_id: str, server: dict[str, Any]) -> None:
    network = _network(req, interface_id)
    if server["enable"] and network is None:
        raise invalid(
            "DHCP_SERVER_CANNOT_ENABLE_WITHOUT_STATIC_IPV4",
            f"DHCP server cannot be enabled because interface `{interface_id}` does not have a "
            "static IPv4 address assigned.",
        )
    low, high = server["range_from"], server["range_to"]
    for name, value in (("range_from", low), ("range_to", high)):
        if value:
            address = require_ipv4(name, value)
            if network is None or address not in network:
                raise invalid(
                    f"DHCP_SERVER_{name.upper()}_OUTSIDE_OF_SUBNET",
                    f"DHCP server `{name}` must lie within the interface subnet.",
                )
    if network is not None and low and ipv4(low) == network.network_address:
        raise invalid(
            "DHCP_SERVER_RANGE_FROM_CANNOT_BE_NETWORK_ADDRESS",
            "DHCP server `range_from` cannot be the interface subnet network address.",
        )
    if network is not None and high and ipv4(high) == network.broadcast_address:
        raise invalid(
            "DHCP_SERVER_RANGE_FROM_CANNOT_BE_BROADCAST_ADDRESS",
            "DHCP server `range_to` cannot be the interface subnet broadcast address.",
        )
    if low and high and ipv4(low) > ipv4(high):  # type: ignore[operator]
        raise invalid(
            "DHCP_SERVER_RANGE_FROM_CANNOT_BE_GREATER_THAN_RANGE_TO",
            "DHCP server `range_from` cannot be greater than `range_to`.",
        )
    gateway = server["gateway"]
    if gateway and gateway != "none":  # IPAddressValidator(allow_keywords: ['none'])
        address = require_ipv4("gateway", gateway)
        if network is None or address not in network:
            raise invalid(
                "DHCP_SERVER_GATEWAY_NOT_WITHIN_SUBNET",
                "DHCP server `gateway` must be within interface subnet.",
            )
    for name in ("dnsserver", "winsserver"):
        for value in server[name] or []:
            require_ipv4(name, value)
    _check_lease_times(server, "DHCP_SERVER_MAX_LEASE_TIME_LESS_THAN_DEFAULT")
    for i, vip in enumerate(req.store.saved.virtual_ips):
        if low and high and _in_range(vip["subnet"], low, high):
            raise conflict(
                "DHCP_SERVER_PRIMARY_POOL_OVERLAPS_EXISTING_OBJECT",
                "This DHCP server primary address pool overlaps with Virtual IP object with ID "
                f"`{i}`. Adjust your `range_from` and `range_to` values.",
            )
    for i, mapping in enumerate(req.store.saved.static_mappings.get(interface_id, [])):
        if low and high and _in_range(mapping["ipaddr"], low, high):
            raise conflict(
                "DHCP_SERVER_PRIMARY_POOL_OVERLAPS_EXISTING_OBJECT",
                "This DHCP server primary address pool overlaps with DHCP server static mapping "
                f"object with ID `{i}`. Adjust your `range_from` and `range_to` values.",
            )


def _check_lease_times(obj: dict[str, Any], response_id: str) -> None:
    default, maximum = obj["defaultleasetime"], obj["maxleasetime"]
    if default is not None and maximum is not None and maximum < default:
        raise invalid(response_id, "`maxleasetime` cannot be less than the `defaultleasetime`.")


# --- static mappings ----------------------------------------------------------------------------


def _check_mapping(req: Request, mapping: dict[str, Any], index: int | None, parent: str | None):
    assert parent is not None
    require_mac("mac", mapping["mac"])
    for i, other in enumerate(req.store.saved.static_mappings[parent]):
        if i != index and other["mac"].lower() == mapping["mac"].lower():
            raise invalid("FIELD_MUST_BE_UNIQUE", "Field `mac` must be unique.")
    if mapping["hostname"]:
        require_hostname("hostname", mapping["hostname"])
    if mapping["ipaddr"]:
        require_ipv4("ipaddr", mapping["ipaddr"])
        server = req.store.saved.dhcp_servers[parent]
        if _in_range(mapping["ipaddr"], server["range_from"], server["range_to"]):
            raise conflict(
                "DHCP_SERVER_STATIC_MAPPING_IPADDR_OVERLAPS_EXISTING_OBJECT",
                f"Field `ipaddr` overlaps existing DHCP server with ID `{parent}`.",
            )
        for i, vip in enumerate(req.store.saved.virtual_ips):
            if vip["subnet"] == mapping["ipaddr"]:
                raise conflict(
                    "DHCP_SERVER_STATIC_MAPPING_IPADDR_OVERLAPS_EXISTING_OBJECT",
                    f"Field `ipaddr` overlaps existing Virtual IP with ID `{i}`.",
                )
        network = _network(req, parent)
        if network is None or ipaddress.IPv4Address(mapping["ipaddr"]) not in network:
            raise invalid(
                "DHCP_SERVER_STATIC_MAPPING_IPADDR_NOT_WITHIN_SUBNET",
                "Field `ipaddr` must be within the interface subnet.",
            )
    _check_lease_times(mapping, "DHCP_SERVER_STATIC_MAPPING_MAX_LEASE_TIME_LESS_THAN_DEFAULT")


STATIC_MAPPINGS = ListModel(
    name="DHCP server static mapping",
    schema=STATIC_MAPPING,
    lists=lambda store: store.saved.static_mappings,
    check=_check_mapping,
    touched=lambda req: req.store.dirty.add("dhcpd"),
    apply_area="dhcp",
    parented=True,
    order=lambda items: items.sort(key=lambda m: natural_key(m.get("ipaddr"))),
)


def apply_status(req: Request) -> dict[str, Any]:
    return {"applied": "dhcpd" not in req.store.dirty and "dhcp" not in req.store.applying}


def apply_now(req: Request) -> dict[str, Any]:
    req.run_apply("dhcp", req.is_async())
    return apply_status(req)
