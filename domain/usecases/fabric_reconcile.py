"""Reconciling each location's firewall with our records (a scheduler tick).

Our database says what every firewall should hold: the VLAN of each customer with servers there, a
DHCP static mapping per server (MAC, address, the server's name as hostname, VLAN), and each
server's inbound rules as they are in force (`rules_in_force`: the customer's own, else the
provider's default). The fabric's `reconcile` re-creates what hands deleted, removes second copies
and our leftovers, and applies once; what it did is logged and returned per location. A firewall
that cannot be reached is reported and the other locations go on.

Servers whose network objects are legitimately in flux are left alone: pending, provisioning or
deleting (the saga or the deletion is writing them), or busy with an action (a firewall change, a
rebuild). Their objects are not desired, yet must not be removed either, and neither may those of
a saga that starts while this run is under way. So the run names what may go (`removable`) rather
than what to spare, and reads the firewall before our records: anything on the firewall then was
recorded before it was made (every saga records the VLAN, MAC and address before it writes them),
so it is either claimed by a server we read or truly stale; objects made after that read are not
on the list and cannot be removed. The customer of a server in flux keeps every VLAN of theirs: a
new server may not have its VLAN recorded on its row yet.

What is left to the next run: a customer's firewall change that begins after our records are
read may be undone by this run's `ensure` of the rules in force, and the next run (one tick later)
puts the new ones back. Leftovers that the firewall's `state()` does not show (a half-removed VLAN,
a public address without rules) are never named removable here, so they wait for an operator.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import attrs

from domain.model.errors import DomainError
from domain.model.network import FirewallRule
from domain.model.server import Server
from domain.usecases.catalogue import catalogued_locations
from domain.usecases.firewall import ON_FABRIC, rules_in_force
from domain.usecases.runtime import Runtime
from ports.network import FabricKeys, FabricState, ReconcileReport, RuleTarget, StaticMapping

log = logging.getLogger(__name__)


@attrs.define
class FabricReconciliation:
    reports: dict[int, ReconcileReport] = attrs.Factory(dict)  # by location id
    errors: dict[int, str] = attrs.Factory(dict)  # locations not reconciled; the next run retries
    left_alone: dict[int, list[int]] = attrs.Factory(dict)  # server ids in flux, by location

    @property
    def changed(self) -> bool:
        return any(report.changed for report in self.reports.values())


@attrs.frozen
class _Plan:
    desired: FabricState
    removable: FabricKeys
    left_alone: list[int]


def reconcile_fabric(rt: Runtime) -> FabricReconciliation:
    result = FabricReconciliation()
    for location_id in _locations(rt):
        try:
            plan = _reconcile_location(rt, location_id, result)
        except DomainError as ex:
            log.error("reconciling the firewall of location %s failed: %s", location_id, ex.message)
            result.errors[location_id] = ex.message
            continue
        result.left_alone[location_id] = plan.left_alone
    return result


def _locations(rt: Runtime) -> list[int]:
    """Every location laid out in per-customer networks (each has a firewall), and any other that
    has servers."""
    with rt.uow() as uow:
        catalogued = [location.id for location in catalogued_locations(uow)]
        with_servers = {loc for loc in catalogued if uow.servers.placed_in(loc)}
        with_servers |= {server.location_id for server in uow.servers.in_progress()}
    return sorted(set(rt.policy.customer_networks) | with_servers)


def _reconcile_location(rt: Runtime, location_id: int, result: FabricReconciliation) -> _Plan:
    seen = rt.fabric.state(location_id)  # before our records: see the module's docstring
    with rt.uow() as uow:
        servers = {s.id: s for s in uow.servers.placed_in(location_id)}
        servers.update({s.id: s for s in uow.servers.in_progress() if s.location_id == location_id})
    plan = _plan(rt, servers.values(), seen)
    report = rt.fabric.reconcile(location_id, plan.desired, plan.removable)
    result.reports[location_id] = report
    if report.changed:
        log.warning(
            "firewall of location %s repaired: created %s, removed %s, copies removed %s",
            location_id,
            report.created,
            report.removed,
            report.duplicates_removed,
        )
    return plan


def _settled(server: Server) -> bool:
    """Its network objects are all made and nothing is changing them."""
    p = server.placement
    complete = bool(p.mac_address and p.ip_address and p.vlan is not None)
    return server.status in ON_FABRIC and server.active_action_id is None and complete


def _plan(rt: Runtime, servers: Iterable[Server], seen: FabricState) -> _Plan:
    settled = sorted((s for s in servers if _settled(s)), key=lambda s: s.id)
    in_flux = [s for s in servers if not _settled(s)]
    vlans: dict[int, int] = {}
    mappings: list[StaticMapping] = []
    rules: dict[int, tuple[FirewallRule, ...]] = {}
    targets: dict[int, RuleTarget] = {}
    for server in settled:
        p = server.placement
        assert p.mac_address and p.ip_address and p.vlan is not None
        vlans[p.vlan] = server.owner_id
        mappings.append(StaticMapping(p.mac_address.lower(), p.ip_address, server.name, p.vlan))
        rules[server.id] = rules_in_force(rt, server)
        targets[server.id] = RuleTarget(p.ip_address, p.vlan)
    desired = FabricState(vlans=vlans, mappings=tuple(mappings), rules=rules, targets=targets)

    busy_customers = {s.owner_id for s in in_flux}
    spared_vlans = {s.placement.vlan for s in in_flux if s.placement.vlan is not None}
    spared_vlans |= {tag for tag, owner in seen.vlans.items() if owner in busy_customers}
    spared_macs = {s.placement.mac_address.lower() for s in in_flux if s.placement.mac_address}
    wanted_macs = {m.mac_address for m in mappings}
    removable = FabricKeys(
        vlans=frozenset(
            tag
            for tag, owner in seen.vlans.items()
            if vlans.get(tag) != owner and tag not in spared_vlans
        ),
        macs=frozenset(
            m.mac_address.lower()
            for m in seen.mappings
            if m.mac_address.lower() not in wanted_macs | spared_macs
        ),
        servers=frozenset(set(seen.rules) - set(rules) - {s.id for s in in_flux}),
    )
    return _Plan(desired, removable, sorted(s.id for s in in_flux))
