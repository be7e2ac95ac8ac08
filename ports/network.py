"""The NetworkFabric port: per-customer isolation, addressing and firewall (pfSense in the real
adapter).

Promises every adapter keeps:
- Every `ensure_*` is idempotent: it finds the object by its natural key before creating it, so a
  retry after a timeout never leaves a duplicate. Every `remove_*` treats "not found" as done.
- Changes are staged until `apply(location_id)`, which makes them live at once.
- Transient trouble raises `Unavailable`; a refused change raises `ExternalFailure`.
"""

from __future__ import annotations

from typing import Protocol

import attrs

from domain.model.network import FirewallRule


@attrs.frozen
class StaticMapping:
    mac_address: str
    ip_address: str
    hostname: str
    vlan: int


@attrs.frozen
class FabricState:
    """What a location's firewall holds, by natural keys (for tests and reconciliation)."""

    vlans: dict[int, int] = attrs.field(factory=dict, hash=False)  # vlan tag -> customer id
    mappings: tuple[StaticMapping, ...] = ()
    rules: dict[int, tuple[FirewallRule, ...]] = attrs.field(
        factory=dict, hash=False
    )  # by server id
    pending_changes: bool = False


class NetworkFabric(Protocol):
    def ensure_vlan(self, location_id: int, customer_id: int, vlan: int) -> None: ...

    def remove_vlan(self, location_id: int, customer_id: int, vlan: int) -> None: ...

    def ensure_mapping(self, location_id: int, mapping: StaticMapping) -> None: ...

    def remove_mapping(self, location_id: int, mac_address: str) -> None: ...

    def ensure_rules(
        self,
        location_id: int,
        server_id: int,
        ip_address: str,
        vlan: int,
        rules: tuple[FirewallRule, ...],
    ) -> None:
        """Make the server's inbound rules exactly `rules` (plus the isolation of its VLAN)."""
        ...

    def remove_rules(self, location_id: int, server_id: int) -> None: ...

    def apply(self, location_id: int) -> None: ...

    def state(self, location_id: int) -> FabricState: ...
