"""The NetworkFabric port: per-customer isolation, addressing and firewall (pfSense in the real
adapter).

Promises every adapter keeps:
- Every `ensure_*` is idempotent: it finds the object by its natural key before creating it, so a
  retry after a timeout never leaves a duplicate. Every `remove_*` treats "not found" as done.
- Changes are staged until `apply(location_id)`, which makes them live at once.
- Transient trouble raises `Unavailable`; a refused change raises `ExternalFailure`.
- `reconcile(location_id, desired, removable)` makes the firewall hold `desired` (built from our
  database): it re-creates what is missing, removes what is ours but not desired and any second copy
  of one natural key, applies once, and reports what it did with the entries named below. With
  `removable` given, only objects under those keys may be removed (copies included); everything
  else that is not desired is left exactly as it is (objects a saga is creating right now).
"""

from __future__ import annotations

from collections.abc import Iterable
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
class RuleTarget:
    """The address and VLAN a server's rules are written for."""

    ip_address: str
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
    # by server id; reconciliation needs it to re-create a server's rules that are all gone
    targets: dict[int, RuleTarget] = attrs.field(factory=dict, hash=False)


def _lower(macs: Iterable[str]) -> frozenset[str]:
    return frozenset(mac.lower() for mac in macs)


@attrs.frozen
class FabricKeys:
    """Natural keys of a firewall's objects, each standing for everything made under it: a VLAN tag
    for the VLAN, its interface, DHCP scope and isolation rules; a MAC for its static mappings; a
    server id for the server's inbound rules and public address."""

    vlans: frozenset[int] = frozenset()
    macs: frozenset[str] = attrs.field(default=frozenset(), converter=_lower)
    servers: frozenset[int] = frozenset()


def may_remove(
    removable: FabricKeys | None,
    *,
    vlan: int | None = None,
    mac: str | None = None,
    server: int | None = None,
) -> bool:
    """Whether reconciliation may remove the object with this key (`None`: anything of ours)."""
    if removable is None:
        return True
    if vlan is not None:
        return vlan in removable.vlans
    if mac is not None:
        return mac.lower() in removable.macs
    return server is not None and server in removable.servers


@attrs.frozen
class ReconcileReport:
    """What a reconciliation changed, each entry a natural key (see the `*_entry` helpers; an
    adapter may add entries of its own kinds, such as `interface:` or `isolation:`)."""

    created: list[str] = attrs.field(factory=list, hash=False)
    removed: list[str] = attrs.field(factory=list, hash=False)
    duplicates_removed: list[str] = attrs.field(factory=list, hash=False)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.removed or self.duplicates_removed)


def vlan_entry(tag: int) -> str:
    return f"vlan:{tag}"


def mapping_entry(mac_address: str) -> str:
    return f"mapping:{mac_address.lower()}"


def rule_entry(server_id: int, rule: FirewallRule) -> str:
    """`rule:server-7:tcp/22`, `rule:server-7:udp/1000-2000@203.0.113.0/24`,
    `rule:server-7:icmp`."""
    ports = ""
    if rule.port_from is not None:
        ports = f"/{rule.port_from}"
        if rule.port_to != rule.port_from:
            ports += f"-{rule.port_to}"
    source = "" if rule.source == "0.0.0.0/0" else f"@{rule.source}"
    return f"rule:server-{server_id}:{rule.protocol}{ports}{source}"


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

    def reconcile(
        self, location_id: int, desired: FabricState, removable: FabricKeys | None = None
    ) -> ReconcileReport:
        """Repair drift: `desired.rules` are written for `desired.targets` of the same server.

        `removable` lists what may go when it is not desired (None: whatever is ours). The caller
        names what it knows to be stale rather than what to spare: an object created after the
        caller read its records is then safe, since no one can name it in advance."""
        ...
