"""The site file: how the locations of the catalogue are built on real infrastructure.

A TOML file named by HOSTPROVIDER_SITE_FILE. Secrets never go in it (they come from the
environment); everything else that differs per location does:

    [[location]]
    id = 1                          # the catalogue's location id
    nodes = ["pve-msk-1", "pve-msk-2"]
    storage = "local-lvm"           # guest disks
    bridge = "vmbr1"                # VLAN-aware bridge for guest NICs
    nameservers = ["1.1.1.1"]
    supernet = "10.0.0.0/12"        # customer VLAN subnets are cut from it ...
    subnet_prefix = 24              # ... one /24 per VLAN tag: 3900 tags need a /12
    dhcp_dynamic_hosts = 8

    [location.firewall]             # optional: defaults to HOSTPROVIDER_PFSENSE_URL's firewall
    url = "https://fw-msk.example.net"
    trunk = "vtnet1"
    wan = "wan"
    public_mode = "one_to_one_nat"  # or "routed"
    public_ips = ["203.0.113.10", "203.0.113.11"]

A malformed file stops the command with the key to fix, before anything starts.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from domain.model.network import CustomerNetworks
from entrypoints.config import ConfigError


@attrs.frozen
class FirewallLayout:
    url: str | None = None  # None: the firewall of HOSTPROVIDER_PFSENSE_URL
    trunk: str = "vtnet1"
    wan: str = "wan"
    public_mode: str = "routed"
    public_ips: tuple[str, ...] = ()


@attrs.frozen
class LocationSite:
    location_id: int
    nodes: tuple[str, ...]
    storage: str
    bridge: str
    networks: CustomerNetworks
    nameservers: tuple[str, ...] = ()
    firewall: FirewallLayout = FirewallLayout()


@attrs.frozen
class Site:
    locations: Mapping[int, LocationSite]

    def customer_networks(self) -> dict[int, CustomerNetworks]:
        return {loc: site.networks for loc, site in self.locations.items()}


PUBLIC_MODES = ("routed", "one_to_one_nat")


def load_site(path: Path) -> Site:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as ex:
        raise ConfigError(f"HOSTPROVIDER_SITE_FILE: cannot read {path}: {ex.strerror}") from None
    except tomllib.TOMLDecodeError as ex:
        raise ConfigError(f"HOSTPROVIDER_SITE_FILE: {path} is not valid TOML: {ex}") from None
    return parse_site(raw, str(path))


def parse_site(raw: Mapping[str, Any], source: str = "site file") -> Site:
    entries = raw.get("location")
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{source}: at least one [[location]] is required")
    locations: dict[int, LocationSite] = {}
    for n, entry in enumerate(entries, start=1):
        where = f"{source}: location #{n}"
        site = _location(_table(entry, where), where)
        if site.location_id in locations:
            raise ConfigError(f"{where}: location id {site.location_id} appears twice")
        locations[site.location_id] = site
    nodes = [node for site in locations.values() for node in site.nodes]
    if len(nodes) != len(set(nodes)):
        raise ConfigError(f"{source}: a node may serve one location only")
    return Site(locations)


def _location(entry: Mapping[str, Any], where: str) -> LocationSite:
    location_id = _get(entry, "id", int, where)
    where = f"{where} (id {location_id})"
    nodes = tuple(_list_of_str(entry, "nodes", where))
    if not nodes:
        raise ConfigError(f"{where}: nodes must name at least one node")
    try:
        networks = CustomerNetworks(
            _get(entry, "supernet", str, where),
            prefix=_get(entry, "subnet_prefix", int, where, 24),
            dynamic_hosts=_get(entry, "dhcp_dynamic_hosts", int, where, 8),
        )
    except ValueError as ex:
        raise ConfigError(f"{where}: {ex}") from None
    return LocationSite(
        location_id=location_id,
        nodes=nodes,
        storage=_get(entry, "storage", str, where),
        bridge=_get(entry, "bridge", str, where),
        networks=networks,
        nameservers=tuple(_list_of_str(entry, "nameservers", where, required=False)),
        firewall=_firewall(entry.get("firewall", {}), f"{where} firewall"),
    )


def _firewall(raw: object, where: str) -> FirewallLayout:
    entry = _table(raw, where)
    mode = _get(entry, "public_mode", str, where, "routed")
    if mode not in PUBLIC_MODES:
        raise ConfigError(f"{where}: public_mode must be one of {', '.join(PUBLIC_MODES)}")
    public_ips = tuple(_list_of_str(entry, "public_ips", where, required=False))
    if mode == "one_to_one_nat" and not public_ips:
        raise ConfigError(f"{where}: one_to_one_nat needs public_ips to hand out")
    return FirewallLayout(
        url=_get(entry, "url", str, where, None),
        trunk=_get(entry, "trunk", str, where, "vtnet1"),
        wan=_get(entry, "wan", str, where, "wan"),
        public_mode=mode,
        public_ips=public_ips,
    )


_MISSING = object()


def _table(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}: must be a table")
    return value


def _get(
    entry: Mapping[str, Any], key: str, kind: type, where: str, default: Any = _MISSING
) -> Any:
    value = entry.get(key, _MISSING)
    if value is _MISSING:
        if default is _MISSING:
            raise ConfigError(f"{where}: {key} is required")
        return default
    # bool is an int in Python; a `true` where a number belongs is a typo, not a 1.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigError(f"{where}: {key} must be a {kind.__name__}")
    return value


def _list_of_str(
    entry: Mapping[str, Any], key: str, where: str, *, required: bool = True
) -> list[str]:
    value = entry.get(key, _MISSING if required else [])
    if value is _MISSING:
        raise ConfigError(f"{where}: {key} is required")
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{where}: {key} must be a list of names")
    return list(value)
