"""The firewall's configuration in two layers: `saved` (config.xml, what every GET returns) and
`live` (what the running firewall enforces). Writes change `saved` and mark a subsystem dirty;
only the matching apply copies the area to `live`. VLANs are the exception: always applied.

Objects are stored without ids; an object's id is its position in its list (or the interface id
for interfaces and DHCP servers), so deleting an earlier object renumbers the later ones.
"""

from __future__ import annotations

import copy
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from .schema import DHCP_SERVER, FIREWALL_RULE, SETTINGS_DEFAULTS

FIREWALL_SUBSYSTEMS = ("aliases", "natconf", "filter", "shaper")


@dataclass
class Layer:
    vlans: list[dict[str, Any]] = field(default_factory=list)
    interfaces: dict[str, dict[str, Any]] = field(default_factory=dict)  # by id: wan, lan, optN
    dhcp_servers: dict[str, dict[str, Any]] = field(default_factory=dict)  # by interface id
    static_mappings: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # by parent
    rules: list[dict[str, Any]] = field(default_factory=list)
    one_to_one: list[dict[str, Any]] = field(default_factory=list)
    virtual_ips: list[dict[str, Any]] = field(default_factory=list)

    def copy(self) -> Layer:
        return copy.deepcopy(self)


class Store:
    """All state of one simulated firewall, guarded by one re-entrant lock (the package serialises
    config writes; serialising reads too keeps the simulator simple and deterministic)."""

    def __init__(self, *, wan: str, trunk: str) -> None:
        self.lock = threading.RLock()
        self.saved = Layer()
        self.live = Layer()
        self.pending_interfaces: list[str] = []
        self.dirty: set[str] = set()  # subsystems: dhcpd, vip, natconf, filter...
        self.applying: set[str] = set()  # areas whose (delayed, async) apply has not finished
        self.settings: dict[str, Any] = {}  # changes to routes.SETTINGS_DEFAULTS
        self.ports = [wan, trunk]  # physical NICs; VLAN devices are added as they are created
        self._seed(wan, trunk)

    def _seed(self, wan: str, trunk: str) -> None:
        """A fresh box: WAN and LAN assigned, DHCP on LAN, the two default LAN pass rules."""
        base = {"enable": True, "spoofmac": "", "mtu": None, "mss": None, "media": "",
                "mediaopt": "", "blockpriv": False, "blockbogons": False, "typev4": "static",
                "gateway": None, "typev6": "none", "ipaddrv6": None, "subnetv6": None,
                "gatewayv6": None}  # fmt: skip
        self.saved.interfaces["wan"] = {
            **base, "if": wan, "descr": "WAN", "ipaddr": "198.51.100.2", "subnet": 24,
            "blockpriv": True, "blockbogons": True,
        }  # fmt: skip
        self.saved.interfaces["lan"] = {
            **base, "if": trunk, "descr": "LAN", "ipaddr": "192.168.1.1", "subnet": 24
        }  # fmt: skip
        self.ensure_dhcp_server("lan")
        self.saved.dhcp_servers["lan"].update(
            enable=True, range_from="192.168.1.100", range_to="192.168.1.199"
        )
        for protocol, label in (("inet", ""), ("inet6", " IPv6")):
            self.saved.rules.append(
                self.new_rule(
                    type="pass",
                    interface=["lan"],
                    ipprotocol=protocol,
                    protocol=None,
                    source="lan",
                    destination="any",
                    descr=f"Default allow LAN{label} to any rule",
                    tracker=self.stamp(),
                    created_time=self.stamp(),
                    created_by="admin@127.0.0.1 (webConfigurator)",
                    updated_time=self.stamp(),
                    updated_by="admin@127.0.0.1 (webConfigurator)",
                )
            )
        self.live = self.saved.copy()

    # --- objects -------------------------------------------------------------------------------

    @staticmethod
    def new_rule(**fields: Any) -> dict[str, Any]:
        rule = {name: copy.copy(spec.default) for name, spec in FIREWALL_RULE.items()}
        rule.update(fields)
        return rule

    def ensure_dhcp_server(self, interface_id: str) -> None:
        """A DHCP server object, disabled and without a range. Before v2.7.0 the package made one
        for every interface with a static IPv4 (subnet < 31) the first time it looked; commit
        d14e54f8 ("require explicit creation of DHCPServer objects") dropped that, so from v2.7.0
        only LAN's (in the default config.xml) exists until a client POSTs one."""
        if interface_id in self.saved.dhcp_servers:
            return
        server = {name: copy.copy(spec.default) for name, spec in DHCP_SERVER.items()}
        server.pop("interface")
        self.saved.dhcp_servers[interface_id] = server
        self.saved.static_mappings.setdefault(interface_id, [])

    def stamp(self) -> int:
        """Rule trackers and times are the creation second, shared by rules made together."""
        return int(time.time())

    # --- representation of interfaces ----------------------------------------------------------

    def represent_interface(self, interface_id: str) -> str:
        """`Fields/InterfaceField.inc` _from_internal(): an interface id as the settings say."""
        how = self.setting("represent_interfaces_as")
        found = self.saved.interfaces.get(interface_id)
        if found is None or how == "id":
            return interface_id
        if how == "descr":
            return str(found["descr"] or interface_id.upper())
        return str(found["if"])

    def resolve_interface(self, value: str) -> str | None:
        """The interface a client names, in the configured representation only: the package's
        choices are built from that representation (`get_interface_choices()`), so with the
        default `descr` an id such as `wan` or `opt1` is no choice at all."""
        for interface_id in self.saved.interfaces:
            if self.represent_interface(interface_id) == value:
                return interface_id
        return None

    def represent_address(self, value: str | None) -> str | None:
        """A filter address as shown: an interface (stored by id) in the representation."""
        if not value:
            return value
        prefix = "!" if value.startswith("!") else ""
        bare = value[len(prefix) :]
        suffix = ":ip" if bare.endswith(":ip") else ""
        bare = bare[: len(bare) - len(suffix)]
        if bare in self.saved.interfaces:
            return prefix + self.represent_interface(bare) + suffix
        return value

    def setting(self, name: str) -> Any:
        return self.settings.get(name, SETTINGS_DEFAULTS[name])

    # --- applying ------------------------------------------------------------------------------

    def sync_vlans(self) -> None:
        self.live.vlans = copy.deepcopy(self.saved.vlans)

    def apply_interfaces(self) -> None:
        self.live.interfaces = copy.deepcopy(self.saved.interfaces)
        self.pending_interfaces.clear()

    def apply_dhcp(self) -> None:
        self.live.dhcp_servers = copy.deepcopy(self.saved.dhcp_servers)
        self.live.static_mappings = copy.deepcopy(self.saved.static_mappings)
        self.dirty.discard("dhcpd")

    def apply_vips(self) -> None:
        self.live.virtual_ips = copy.deepcopy(self.saved.virtual_ips)
        self.dirty.discard("vip")

    def apply_firewall(self) -> None:
        self.live.rules = copy.deepcopy(self.saved.rules)
        self.live.one_to_one = copy.deepcopy(self.saved.one_to_one)
        self.dirty.difference_update(FIREWALL_SUBSYSTEMS)

    def mark_interface_pending(self, interface_id: str) -> None:
        if interface_id not in self.pending_interfaces:
            self.pending_interfaces.append(interface_id)

    # --- views for tests -----------------------------------------------------------------------

    def view(self, layer: Layer) -> dict[str, Any]:
        """Plain dicts and lists of a layer, ids included, interfaces by id (stable)."""
        return {
            "vlans": [{"id": i, **v} for i, v in enumerate(layer.vlans)],
            "interfaces": [{"id": k, **v} for k, v in layer.interfaces.items()],
            "dhcp_servers": [{"id": k, "interface": k, **v} for k, v in layer.dhcp_servers.items()],
            "static_mappings": [
                {"id": i, "parent_id": parent, **m}
                for parent, mappings in layer.static_mappings.items()
                for i, m in enumerate(mappings)
            ],
            "rules": [{"id": i, **r} for i, r in enumerate(layer.rules)],
            "one_to_one": [{"id": i, **n} for i, n in enumerate(layer.one_to_one)],
            "virtual_ips": [{"id": i, **v} for i, v in enumerate(layer.virtual_ips)],
        }
