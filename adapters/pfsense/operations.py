"""The fabric's work on one firewall, each step "read by natural key, then act at once".

Every function here is idempotent: run again after a lost answer, it reads what landed and does only
the rest. Each records what it created and removed on a `ReconcileReport` (reconciliation shows it;
the port's other calls drop it).
"""

from __future__ import annotations

from typing import Any

from adapters.pfsense import naming, payloads
from adapters.pfsense.config import PublicAddressMode
from adapters.pfsense.firewall import (
    DHCP_SERVER,
    INTERFACE,
    INTERFACES,
    MAPPING,
    MAPPINGS,
    NAT,
    NATS,
    RULE,
    RULES,
    VIP,
    VIPS,
    VLAN,
    VLANS,
    Firewall,
)
from adapters.pfsense.payloads import Interfaces
from domain.model.errors import CapacityExhausted, Conflict, ExternalFailure
from domain.model.network import FirewallRule
from ports.network import ReconcileReport, StaticMapping, mapping_entry, rule_entry, vlan_entry


# --- VLAN: the tagged device, its interface, its DHCP scope, its isolation ------------------------
def ensure_vlan(fw: Firewall, report: ReconcileReport, customer_id: int, tag: int) -> None:
    site = fw.site
    site.addressing(tag)  # refuses a tag outside the firewall's range before any write
    held = fw.read(VLANS, **{"if": site.trunk, "tag": tag})
    if held:
        owner = naming.parse_vlan_descr(str(held[0].get("descr", "")))
        if owner is None or owner[0] != customer_id:
            whose = "another customer" if owner else "an object we did not create"
            raise Conflict(f"VLAN {tag} on {site.trunk} belongs to {whose}", vlan=tag)
    else:
        fw.create(VLAN, payloads.vlan(site, customer_id, tag))  # live at once
        report.created.append(vlan_entry(tag))
    interface_id = _ensure_interface(fw, report, tag)
    interfaces = fw.interfaces()  # read once, after the VLAN's own interface exists
    _ensure_dhcp_scope(fw, report, tag, interfaces.ref(interface_id), interface_id)
    ensure_isolation(fw, report, tag, interface_id, interfaces)


def _ensure_interface(fw: Firewall, report: ReconcileReport, tag: int) -> str:
    wanted = payloads.interface(fw.site, tag)
    held = fw.read(INTERFACES, descr=wanted["descr"])
    if not held:
        created = fw.create(INTERFACE, wanted)
        report.created.append(f"interface:{wanted['descr']}")
        return str(created["id"])
    interface_id = str(held[0]["id"])
    if payloads.differs(held[0], wanted):
        fw.update(INTERFACE, {"id": interface_id, **wanted})
        report.created.append(f"interface:{wanted['descr']}")
    return interface_id


def _ensure_dhcp_scope(
    fw: Firewall, report: ReconcileReport, tag: int, interface: str, interface_id: str
) -> None:
    """Since package v2.7.0 (commit d14e54f8) a new interface has no DHCP server until one is
    POSTed (a PATCH answers 404); older packages made one implicitly, which a PATCH then fills.
    `interface` is the interface as this firewall's API names it, `interface_id` its id."""
    wanted = payloads.dhcp_scope(fw.site, tag)
    held = fw.read_one(DHCP_SERVER, id=interface_id)
    if held is None:
        fw.create(DHCP_SERVER, {"interface": interface, **wanted})
        report.created.append(f"dhcp:vlan-{tag}")
    elif payloads.differs(held, wanted):
        fw.update(DHCP_SERVER, {"id": interface_id, **wanted})
        report.created.append(f"dhcp:vlan-{tag}")


def ensure_isolation(
    fw: Firewall,
    report: ReconcileReport,
    tag: int,
    interface_id: str,
    interfaces: Interfaces | None = None,
) -> None:
    """The VLAN's block rules then its egress pass, exactly and in this order; anything else
    (a rule missing, out of order, edited by hand) rewrites the whole set, which is safe because
    nothing is live before the apply. `interfaces`: the assignments the caller read already."""
    interfaces = interfaces or fw.interfaces()
    wanted = payloads.isolation_rules(fw.site, tag, interfaces.ref(interface_id))
    held = isolation_rules(fw, tag)
    if len(held) == len(wanted) and all(
        payloads.rule_matches(h, w, interfaces) for h, w in zip(held, wanted, strict=True)
    ):
        return
    fw.delete_each(RULE, held)
    for body in wanted:
        fw.create(RULE, body)
    report.created.append(f"isolation:vlan-{tag}")


def isolation_rules(fw: Firewall, tag: int) -> list[dict[str, Any]]:
    rules = fw.read(RULES, **{"descr__startswith": "hostprovider:"})
    return sorted(
        (r for r in rules if naming.parse_isolation_descr(str(r.get("descr", ""))) == tag),
        key=lambda r: int(r["id"]),
    )


def remove_vlan(fw: Firewall, report: ReconcileReport, customer_id: int, tag: int) -> None:
    """Isolation rules, then the interface (pfSense takes it down with its DHCP server and
    mappings at once), then the VLAN device; a tag held by someone else is left alone."""
    site = fw.site
    held = fw.read(VLANS, **{"if": site.trunk, "tag": tag})
    if held:
        owner = naming.parse_vlan_descr(str(held[0].get("descr", "")))
        if owner is None or owner[0] != customer_id:
            return
    doomed_rules = isolation_rules(fw, tag)
    if doomed_rules:
        fw.delete_each(RULE, doomed_rules)
        report.removed.append(f"isolation:vlan-{tag}")
    assigned = fw.read(INTERFACES, descr=naming.interface_descr(tag))
    if assigned:
        fw.delete(INTERFACE, id=assigned[0]["id"])
        report.removed.append(f"interface:{naming.interface_descr(tag)}")
    held = fw.read(VLANS, **{"if": site.trunk, "tag": tag})
    if held:
        fw.delete_each(VLAN, held)
        report.removed.append(vlan_entry(tag))


# --- static mappings -----------------------------------------------------------------------------
def ensure_mapping(fw: Firewall, report: ReconcileReport, mapping: StaticMapping) -> None:
    mac = mapping.mac_address.lower()
    interface = Interfaces(fw.read(INTERFACES)).ours(mapping.vlan)  # by description: no setting
    if interface is None:
        # a static mapping lives in the VLAN's DHCP server: there is nowhere to put it yet
        raise ExternalFailure(
            f"VLAN {mapping.vlan} is not set up on this firewall: ensure the VLAN first",
            vlan=mapping.vlan,
        )
    parent = str(interface["id"])
    wanted = payloads.mapping(mapping)
    held = _mappings_of(fw, mac)
    keep = next((m for m in held if str(m["parent_id"]) == parent), None)
    # the MAC mapped under another VLAN, or twice: only the one we keep may stay
    fw.delete_each(MAPPING, [m for m in held if m is not keep])
    if keep is None:
        fw.create(MAPPING, {"parent_id": parent, **wanted})
        report.created.append(mapping_entry(mac))
    elif payloads.differs(keep, wanted):
        fw.update(MAPPING, {"parent_id": parent, "id": keep["id"], **wanted})
        report.created.append(mapping_entry(mac))


def _mappings_of(fw: Firewall, mac: str) -> list[dict[str, Any]]:
    """Every static mapping of the MAC, in any DHCP server, ours or typed in by hand."""
    return [m for m in fw.read(MAPPINGS) if str(m.get("mac", "")).lower() == mac]


def remove_mapping(fw: Firewall, report: ReconcileReport, mac_address: str) -> None:
    held = _mappings_of(fw, mac_address.lower())
    if held:
        fw.delete_each(MAPPING, held)
        report.removed.append(mapping_entry(mac_address))


# --- a server's inbound rules and public address -------------------------------------------------
def ensure_rules(
    fw: Firewall,
    report: ReconcileReport,
    server_id: int,
    ip_address: str,
    vlan: int,
    rules: tuple[FirewallRule, ...],
) -> None:
    interfaces = fw.interfaces()
    assigned = interfaces.ours(vlan)
    if assigned is not None:
        ensure_isolation(fw, report, vlan, str(assigned["id"]), interfaces)
    wan = interfaces.ref(fw.site.wan)
    wanted: list[tuple[FirewallRule, dict[str, Any]]] = []
    seen: set[str] = set()
    for rule in rules:  # one rule per natural key: a repeated rule adds nothing
        body = payloads.inbound_rule(wan, server_id, ip_address, rule)
        if naming.key_of(body["descr"]) not in seen:
            seen.add(naming.key_of(body["descr"]))
            wanted.append((rule, body))
    held = sorted(
        fw.read(RULES, descr__startswith=naming.server_rule_prefix(server_id)),
        key=lambda r: int(r["id"]),
    )
    # Keep the held rules that already read as a prefix-preserving run of the wanted ones; delete
    # the rest and create what is missing at the end, so the firewall's order is the given order.
    kept, doomed = 0, []
    for obj in held:
        if kept < len(wanted) and payloads.rule_matches(obj, wanted[kept][1], interfaces):
            kept += 1
        else:
            doomed.append(obj)
    fw.delete_each(RULE, doomed)
    for obj in doomed:
        parsed = naming.parse_rule_descr(str(obj.get("descr", "")))
        if parsed is not None and parsed.rule not in rules:
            report.removed.append(rule_entry(server_id, parsed.rule))
    for rule, body in wanted[kept:]:
        fw.create(RULE, body)
        report.created.append(rule_entry(server_id, rule))
    if fw.site.public_mode is PublicAddressMode.ONE_TO_ONE_NAT:
        external = _ensure_one_to_one(fw, report, server_id, ip_address, wan)
        _ensure_virtual_ip(fw, report, server_id, external, wan)


def _ensure_one_to_one(
    fw: Firewall, report: ReconcileReport, server_id: int, ip: str, wan: str
) -> str:
    """The server keeps the public address it has; a new one gets the lowest free one. Returns
    the server's public address."""
    every = fw.read(NATS)
    descr = naming.nat_descr(server_id)
    held = sorted((n for n in every if n.get("descr") == descr), key=lambda n: int(n["id"]))
    keep = next(
        (n for n in held if n.get("source") == ip and n.get("external") in fw.site.public_ips),
        None,
    )
    fw.delete_each(NAT, [n for n in held if n is not keep])
    if keep is not None:
        return str(keep["external"])
    taken = {n.get("external") for n in every if n not in held}
    free = [address for address in fw.site.public_ips if address not in taken]
    if not free:
        raise CapacityExhausted("no public address is left on this firewall")
    fw.create(NAT, payloads.one_to_one(wan, server_id, ip, free[0]))
    report.created.append(f"nat:server-{server_id}")
    return free[0]


def _ensure_virtual_ip(
    fw: Firewall, report: ReconcileReport, server_id: int, external: str, wan: str
) -> None:
    """The public address on WAN as a virtual IP, so that the upstream router's ARP for it is
    answered: 1:1 NAT alone does not. An address some virtual IP already holds (one the operator
    made, say) is left as it is; ours for other addresses go."""
    every = fw.read(VIPS)
    ours = [v for v in every if v.get("descr") == naming.vip_descr(server_id)]
    keep = next((v for v in ours if v.get("subnet") == external), None)
    fw.delete_each(VIP, [v for v in ours if v is not keep])
    if keep is None and not any(v.get("subnet") == external for v in every):
        fw.create(VIP, payloads.virtual_ip(wan, server_id, external))
        report.created.append(f"vip:server-{server_id}")


def remove_rules(fw: Firewall, report: ReconcileReport, server_id: int) -> None:
    held = fw.read(RULES, descr__startswith=naming.server_rule_prefix(server_id))
    fw.delete_each(RULE, held)
    for obj in held:
        parsed = naming.parse_rule_descr(str(obj.get("descr", "")))
        if parsed is not None:
            report.removed.append(rule_entry(server_id, parsed.rule))
    nat = fw.read(NATS, descr=naming.nat_descr(server_id))
    if nat:
        fw.delete_each(NAT, nat)
        report.removed.append(f"nat:server-{server_id}")
    vips = fw.read(VIPS, descr=naming.vip_descr(server_id)) if fw.holds_vips else []
    if vips:
        fw.delete_each(VIP, vips)
        report.removed.append(f"vip:server-{server_id}")
