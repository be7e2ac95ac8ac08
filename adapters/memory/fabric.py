"""A network fabric that behaves like one pfSense per location: staged changes, live after apply.

Objects are kept by their natural keys (VLAN tag, MAC address, server id), so every `ensure_*` is
idempotent and every `remove_*` of something absent is done already. `state()` shows the desired
(staged) view with `pending_changes`; `live_state()` shows what the firewall enforces.

Test helpers: `fail_next`, `set_reachable`, `live_state`, `rule_set`, `calls` (a Counter by
operation), `call_log`, and hand edits in the firewall's GUI (applied at once): `delete_by_hand`,
`copy_by_hand` (a second object under one natural key, which only reconciliation removes) and
`copies`.
"""

from __future__ import annotations

import collections
import threading

import attrs

from adapters.memory.fabric_config import (
    FabricConfig,
    RuleSet,
    desired_config,
    keep_what_may_not_go,
    report_differences,
)
from adapters.memory.faults import Fault, FaultPlan
from domain.model.errors import Conflict, ExternalFailure, Unavailable
from domain.model.network import FirewallRule
from ports.network import FabricKeys, FabricState, ReconcileReport, StaticMapping, rule_entry

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


class FakeNetworkFabric:
    def __init__(self) -> None:
        self._staged: dict[int, FabricConfig] = {}
        self._live: dict[int, FabricConfig] = {}
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
            return self._live.get(location_id, FabricConfig()).view(pending=False)

    def rule_set(self, location_id: int, server_id: int) -> RuleSet | None:
        """The staged rules of a server with the address and VLAN they were written for."""
        with self._lock:
            return self._config(location_id).rules.get(server_id)

    def delete_by_hand(self, location_id: int, entry: str) -> None:
        """Delete one object, named by its report entry (`vlan_entry(101)`, `rule_entry(7, r)`)."""
        with self._lock:
            for config in self._holding(location_id, entry):
                kind, key = config.entries()[entry]
                if kind == "vlan":
                    del config.vlans[int(key)]
                elif kind == "mapping":
                    del config.mappings[str(key)]
                else:
                    held = config.rules[int(key)]
                    left = tuple(r for r in held.rules if rule_entry(int(key), r) != entry)
                    config.rules[int(key)] = attrs.evolve(held, rules=left)
                config.copies.pop(entry, None)

    def copy_by_hand(self, location_id: int, entry: str) -> None:
        """Make a second copy of one object, as a "copy" in the GUI does."""
        with self._lock:
            for config in self._holding(location_id, entry):
                config.copies[entry] = config.entries()[entry]

    def copies(self, location_id: int) -> list[str]:
        """The entries that exist twice on the live firewall."""
        with self._lock:
            return sorted(self._live.get(location_id, FabricConfig()).copies)

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
                config.drop_copies(("vlan", vlan))

    def ensure_mapping(self, location_id: int, mapping: StaticMapping) -> None:
        with self._call("ensure_mapping", location_id) as config:
            mac = mapping.mac_address.lower()
            config.mappings[mac] = attrs.evolve(mapping, mac_address=mac)
            config.drop_copies(("mapping", mac))  # the adapter keeps one mapping per MAC

    def remove_mapping(self, location_id: int, mac_address: str) -> None:
        with self._call("remove_mapping", location_id) as config:
            config.mappings.pop(mac_address.lower(), None)
            config.drop_copies(("mapping", mac_address.lower()))

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
            config.drop_copies(("rules", server_id))

    def remove_rules(self, location_id: int, server_id: int) -> None:
        with self._call("remove_rules", location_id) as config:
            config.rules.pop(server_id, None)
            config.drop_copies(("rules", server_id))

    def apply(self, location_id: int) -> None:
        with self._call("apply", location_id) as config:
            self._live[location_id] = config.copy()

    def state(self, location_id: int) -> FabricState:
        with self._lock:
            staged = self._config(location_id)
            live = self._live.get(location_id, FabricConfig())
            return staged.view(pending=staged != live)

    def reconcile(
        self, location_id: int, desired: FabricState, removable: FabricKeys | None = None
    ) -> ReconcileReport:
        with self._call("reconcile", location_id) as config:
            report = ReconcileReport()
            wanted = desired_config(desired, config)
            keep_what_may_not_go(wanted, config, removable)
            report_differences(report, have=config, want=wanted)
            self._staged[location_id] = wanted
            if report.changed or wanted != self._live.get(location_id, FabricConfig()):
                self._live[location_id] = wanted.copy()
            return report

    # --- internals -------------------------------------------------------------------------------
    def _config(self, location_id: int) -> FabricConfig:
        return self._staged.setdefault(location_id, FabricConfig())

    def _call(self, operation: str, location_id: int) -> _Guarded:
        return _Guarded(self, operation, location_id)

    def _holding(self, location_id: int, entry: str) -> list[FabricConfig]:
        """What a hand edit of `entry` changes: the staged configuration and, since the edit is
        applied at once, the live one, wherever the object is."""
        configs = [self._config(location_id), self._live.setdefault(location_id, FabricConfig())]
        holding = [config for config in configs if entry in config.entries()]
        if not holding:
            raise ValueError(f"the firewall of location {location_id} holds no {entry}")
        return holding


class _Guarded:
    """Count the call, raise a planned fault or an unreachable firewall's error, then give the
    staged configuration under the fabric's lock; a change that raises leaves it untouched."""

    def __init__(self, fabric: FakeNetworkFabric, operation: str, location_id: int) -> None:
        self.fabric, self.operation, self.location_id = fabric, operation, location_id
        self._before: FabricConfig | None = None

    def __enter__(self) -> FabricConfig:
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
