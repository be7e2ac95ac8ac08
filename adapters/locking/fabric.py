"""`SerializedFabric`: one writer per firewall, whichever process or machine it runs on.

pfSense takes one configuration change at a time, and our adapter's steps read by natural key and
then write: two writers interleaving their reads and writes could both create the same object, or
apply the other's half-made change. The adapter's own lock covers the threads of one process; this
decorator holds the shared lock `firewall:<location id>` around every call that writes (the
`ensure_*` and `remove_*` calls, `apply`, `reconcile`). Reads (`state`) go straight through.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from domain.model.network import FirewallRule
from ports.locks import Locks
from ports.network import FabricKeys, FabricState, NetworkFabric, ReconcileReport, StaticMapping

T = TypeVar("T")


def lock_name(location_id: int) -> str:
    return f"firewall:{location_id}"


class SerializedFabric:
    def __init__(self, inner: NetworkFabric, locks: Locks) -> None:
        self.inner = inner
        self._locks = locks

    def ensure_vlan(self, location_id: int, customer_id: int, vlan: int) -> None:
        self._write(location_id, lambda: self.inner.ensure_vlan(location_id, customer_id, vlan))

    def remove_vlan(self, location_id: int, customer_id: int, vlan: int) -> None:
        self._write(location_id, lambda: self.inner.remove_vlan(location_id, customer_id, vlan))

    def ensure_mapping(self, location_id: int, mapping: StaticMapping) -> None:
        self._write(location_id, lambda: self.inner.ensure_mapping(location_id, mapping))

    def remove_mapping(self, location_id: int, mac_address: str) -> None:
        self._write(location_id, lambda: self.inner.remove_mapping(location_id, mac_address))

    def ensure_rules(
        self,
        location_id: int,
        server_id: int,
        ip_address: str,
        vlan: int,
        rules: tuple[FirewallRule, ...],
    ) -> None:
        self._write(
            location_id,
            lambda: self.inner.ensure_rules(location_id, server_id, ip_address, vlan, rules),
        )

    def remove_rules(self, location_id: int, server_id: int) -> None:
        self._write(location_id, lambda: self.inner.remove_rules(location_id, server_id))

    def apply(self, location_id: int) -> None:
        self._write(location_id, lambda: self.inner.apply(location_id))

    def state(self, location_id: int) -> FabricState:
        return self.inner.state(location_id)

    def reconcile(
        self, location_id: int, desired: FabricState, removable: FabricKeys | None = None
    ) -> ReconcileReport:
        return self._write(
            location_id, lambda: self.inner.reconcile(location_id, desired, removable)
        )

    def _write(self, location_id: int, call: Callable[[], T]) -> T:
        with self._locks.hold(lock_name(location_id)):
            return call()
