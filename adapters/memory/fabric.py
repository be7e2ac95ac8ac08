"""A network fabric that behaves like one pfSense per location: staged changes, live after apply.

Objects are kept by their natural keys (VLAN tag, MAC address, server id), so every `ensure_*` is
idempotent and every `remove_*` of something absent is done already. `state()` shows the desired
(staged) view with `pending_changes`; `live_state()` shows what the firewall enforces.

Test helpers: `fail_next`, `set_reachable`, `live_state`, `rule_set`, `calls` (a Counter by
operation), `call_log`.
"""

from __future__ import annotations

import collections
import threading

import attrs

from adapters.memory.faults import Fault, FaultPlan
from domain.model.errors import Conflict, ExternalFailure, Unavailable
from domain.model.network import FirewallRule
from ports.network import (
    FabricState,
    ReconcileReport,
    RuleTarget,
    StaticMapping,
    mapping_entry,
    rule_entry,
    vlan_entry,
)

OPERATIONS = (
    "ensure_vlan",
    "remove_vlan",
    "ensure_mapping",
    "remove_mapping",
    "ensure_rules",
    "remove_rules",
    "apply",
    "reconcile",
)


@attrs.frozen
class RuleSet:
    ip_address: str
    vlan: int
    rules: tuple[FirewallRule, ...]


@attrs.define
class _Config:
    vlans: dict[int, int] = attrs.field(factory=dict)  # tag -> customer id
    mappings: dict[str, StaticMapping] = attrs.field(factory=dict)  # by MAC
    rules: dict[int, RuleSet] = attrs.field(factory=dict)  # by server id

    def copy(self) -> _Config:
        return _Config(dict(self.vlans), dict(self.mappings), dict(self.rules))

    def view(self, pending: bool) -> FabricState:
        return FabricState(
            vlans=dict(self.vlans),
            mappings=tuple(self.mappings[mac] for mac in sorted(self.mappings)),
            rules={server_id: rs.rules for server_id, rs in sorted(self.rules.items())},
            pending_changes=pending,
            targets={
                server_id: RuleTarget(rs.ip_address, rs.vlan)
                for server_id, rs in sorted(self.rules.items())
            },
        )


class FakeNetworkFabric:
    def __init__(self) -> None:
        self._staged: dict[int, _Config] = {}
        self._live: dict[int, _Config] = {}
        self._unreachable: set[int] = set()
        self._faults = FaultPlan()
        self._lock = threading.Lock()
        self.calls: collections.Counter[str] = collections.Counter()
        self.call_log: list[tuple[str, int]] = []

    # --- test helpers ----------------------------------------------------------------------------
    def fail_next(
        self, operation: str, *, times: int = 1, transient: bool = False, message: str | None = None
    ) -> None:
        """The next `times` calls of `operation` raise Unavailable (transient) or
        ExternalFailure (refused)."""
        if operation not in OPERATIONS:
            raise ValueError(f"unknown fabric operation {operation!r}")
        text = message or f"{operation} refused: injected fault"
        self._faults.arm(operation, Fault(times, True, text, extra={"transient": transient}))

    def set_reachable(self, location_id: int, reachable: bool) -> None:
        """An unreachable firewall answers every call with Unavailable."""
        with self._lock:
            (self._unreachable.discard if reachable else self._unreachable.add)(location_id)

    def live_state(self, location_id: int) -> FabricState:
        with self._lock:
            return self._live.get(location_id, _Config()).view(pending=False)

    def rule_set(self, location_id: int, server_id: int) -> RuleSet | None:
        """The staged rules of a server with the address and VLAN they were written for."""
        with self._lock:
            return self._config(location_id).rules.get(server_id)

    # --- the NetworkFabric port ------------------------------------------------------------------
    def ensure_vlan(self, location_id: int, customer_id: int, vlan: int) -> None:
        with self._call("ensure_vlan", location_id) as config:
            owner = config.vlans.get(vlan)
            if owner is not None and owner != customer_id:
                raise Conflict(f"VLAN {vlan} belongs to another customer", vlan=vlan)
            config.vlans[vlan] = customer_id

    def remove_vlan(self, location_id: int, customer_id: int, vlan: int) -> None:
        with self._call("remove_vlan", location_id) as config:
            if config.vlans.get(vlan) == customer_id:
                del config.vlans[vlan]

    def ensure_mapping(self, location_id: int, mapping: StaticMapping) -> None:
        with self._call("ensure_mapping", location_id) as config:
            config.mappings[mapping.mac_address.lower()] = attrs.evolve(
                mapping, mac_address=mapping.mac_address.lower()
            )

    def remove_mapping(self, location_id: int, mac_address: str) -> None:
        with self._call("remove_mapping", location_id) as config:
            config.mappings.pop(mac_address.lower(), None)

    def ensure_rules(
        self,
        location_id: int,
        server_id: int,
        ip_address: str,
        vlan: int,
        rules: tuple[FirewallRule, ...],
    ) -> None:
        with self._call("ensure_rules", location_id) as config:
            config.rules[server_id] = RuleSet(ip_address, vlan, tuple(rules))

    def remove_rules(self, location_id: int, server_id: int) -> None:
        with self._call("remove_rules", location_id) as config:
            config.rules.pop(server_id, None)

    def apply(self, location_id: int) -> None:
        with self._call("apply", location_id) as config:
            self._live[location_id] = config.copy()

    def state(self, location_id: int) -> FabricState:
        with self._lock:
            staged = self._config(location_id)
            live = self._live.get(location_id, _Config())
            return staged.view(pending=staged != live)

    def reconcile(self, location_id: int, desired: FabricState) -> ReconcileReport:
        with self._call("reconcile", location_id) as config:
            report = ReconcileReport()
            wanted = _desired_config(desired, config)
            _report_differences(report, have=config, want=wanted)
            self._staged[location_id] = wanted
            if report.changed or wanted != self._live.get(location_id, _Config()):
                self._live[location_id] = wanted.copy()
            return report

    # --- internals -------------------------------------------------------------------------------
    def _config(self, location_id: int) -> _Config:
        return self._staged.setdefault(location_id, _Config())

    def _call(self, operation: str, location_id: int) -> _Guarded:
        return _Guarded(self, operation, location_id)


def _desired_config(desired: FabricState, current: _Config) -> _Config:
    """The configuration `desired` describes; a server's target may be left out when its rules
    exist already (the one they were written for is kept)."""
    rules: dict[int, RuleSet] = {}
    for server_id, server_rules in desired.rules.items():
        target = desired.targets.get(server_id)
        if target is None and server_id in current.rules:
            known = current.rules[server_id]
            target = RuleTarget(known.ip_address, known.vlan)
        if target is None:
            raise ValueError(f"desired rules of server {server_id} have no target")
        rules[server_id] = RuleSet(target.ip_address, target.vlan, tuple(server_rules))
    mappings = {
        m.mac_address.lower(): attrs.evolve(m, mac_address=m.mac_address.lower())
        for m in desired.mappings
    }
    return _Config(dict(desired.vlans), mappings, rules)


def _report_differences(report: ReconcileReport, *, have: _Config, want: _Config) -> None:
    for tag, customer in sorted(want.vlans.items()):
        if have.vlans.get(tag) != customer:
            report.created.append(vlan_entry(tag))
    for tag, customer in sorted(have.vlans.items()):
        if want.vlans.get(tag) != customer:
            report.removed.append(vlan_entry(tag))
    for mac, mapping in sorted(want.mappings.items()):
        if have.mappings.get(mac) != mapping:
            report.created.append(mapping_entry(mac))
    for mac, mapping in sorted(have.mappings.items()):
        if want.mappings.get(mac) != mapping:
            report.removed.append(mapping_entry(mac))
    for server_id in sorted(set(want.rules) | set(have.rules)):
        wanted, held = want.rules.get(server_id), have.rules.get(server_id)
        same_target = (
            wanted is not None
            and held is not None
            and (wanted.ip_address, wanted.vlan) == (held.ip_address, held.vlan)
        )
        kept = set(held.rules) if held is not None and same_target else set()
        for rule in wanted.rules if wanted is not None else ():
            if rule not in kept:
                report.created.append(rule_entry(server_id, rule))
        for rule in held.rules if held is not None else ():
            if wanted is None or not same_target or rule not in wanted.rules:
                report.removed.append(rule_entry(server_id, rule))


class _Guarded:
    """Count the call, raise a planned fault or an unreachable firewall's error, then give the
    staged configuration under the fabric's lock; a change that raises leaves it untouched."""

    def __init__(self, fabric: FakeNetworkFabric, operation: str, location_id: int) -> None:
        self.fabric, self.operation, self.location_id = fabric, operation, location_id
        self._before: _Config | None = None

    def __enter__(self) -> _Config:
        f = self.fabric
        f._lock.acquire()
        try:
            f.calls[self.operation] += 1
            f.call_log.append((self.operation, self.location_id))
            if self.location_id in f._unreachable:
                raise Unavailable(f"the firewall of location {self.location_id} is unreachable")
            fault = f._faults.take(self.operation)
            if fault is not None:
                if fault.extra.get("transient"):
                    raise Unavailable(fault.message, operation=self.operation)
                raise ExternalFailure(fault.message, operation=self.operation)
            config = f._config(self.location_id)
            self._before = config.copy()
            return config
        except BaseException:
            f._lock.release()
            raise

    def __exit__(self, exc_type: object, *_: object) -> None:
        try:
            if exc_type is not None and self._before is not None:
                self.fabric._staged[self.location_id] = self._before
        finally:
            self.fabric._lock.release()
