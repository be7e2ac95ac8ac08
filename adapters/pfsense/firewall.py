"""One firewall as the fabric uses it: its settings, its client, the lock its writers take, and
whether it holds changes not applied yet. Reads and writes by endpoint, with the id rules of the
API: an id is used right after the read that found it, never kept."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from adapters.pfsense.client import PfSenseClient
from adapters.pfsense.config import FirewallSite, PublicAddressMode
from adapters.pfsense.errors import FirewallMisconfigured, FirewallRefused
from adapters.pfsense.payloads import Interfaces
from adapters.pfsense.readback import Snapshot

VLAN, VLANS = "/interface/vlan", "/interface/vlans"
INTERFACE, INTERFACES = "/interface", "/interfaces"
DHCP_SERVER = "/services/dhcp_server"
MAPPING, MAPPINGS = "/services/dhcp_server/static_mapping", "/services/dhcp_server/static_mappings"
RULE, RULES = "/firewall/rule", "/firewall/rules"
NAT, NATS = "/firewall/nat/one_to_one/mapping", "/firewall/nat/one_to_one/mappings"
VIP, VIPS = "/firewall/virtual_ip", "/firewall/virtual_ips"
VIP_APPLY = "/firewall/virtual_ip/apply"
SETTINGS = "/system/restapi/settings"
APPLY = ("/interface/apply", "/services/dhcp_server/apply", "/firewall/apply")
OURS = {"descr__startswith": "hostprovider:"}
REPRESENTATIONS = ("descr", "id", "if")


class Firewall:
    def __init__(self, site: FirewallSite, client: PfSenseClient) -> None:
        self.site = site
        self.client = client
        # One writer per firewall inside this process; across processes the shared lock
        # `firewall:<location id>` taken by SerializedFabric (adapters/locking) does.
        self.lock = threading.RLock()
        # pfSense does not report unapplied rule edits (`GET /firewall/apply` misses them), so
        # this process remembers that it wrote since its last apply.
        self.dirty = False
        self._represent_as: str | None = None  # the REST API setting, read on first need

    # --- the REST API's settings -----------------------------------------------------------------
    def read_settings(self, *, attempts: int | None = None) -> str:
        """Reads `represent_interfaces_as` (how the API names interfaces, both ways) and keeps
        it; a firewall that refuses our key says so here first."""
        settings = self.client.get(SETTINGS, _attempts=attempts)
        how = settings.get("represent_interfaces_as") if isinstance(settings, dict) else None
        if how not in REPRESENTATIONS:
            raise FirewallMisconfigured(
                f"{self.site.url}: the REST API settings name no known interface representation "
                f"({how!r}); is this pfSense-pkg-RESTAPI v2?",
                status=200,
                response_id="SETTINGS_UNREADABLE",
            )
        self._represent_as = str(how)
        return self._represent_as

    def interfaces(self) -> Interfaces:
        """The interface assignments, named as this firewall's API wants them."""
        how = self._represent_as or self.read_settings()
        return Interfaces(self.read(INTERFACES), how)

    # --- reads ---------------------------------------------------------------------------------
    def read(self, path: str, **query: Any) -> list[dict[str, Any]]:
        data = self.client.get(path, **query)
        return list(data) if isinstance(data, list) else []

    def read_one(self, path: str, **query: Any) -> dict[str, Any] | None:
        try:
            data = self.client.get(path, **query)
        except FirewallRefused as ex:
            if ex.status == 404:
                return None
            raise
        return dict(data) if isinstance(data, dict) else None

    def snapshot(self) -> Snapshot:
        return Snapshot(
            vlans=self.read(VLANS, **OURS),
            interfaces=self.read(INTERFACES),
            mappings=self.read(MAPPINGS, **OURS),
            rules=self.read(RULES, **OURS),
            nat=self.read(NATS, **OURS),
            vips=self.read(VIPS, **OURS),
        )

    def pending(self) -> bool:
        """What the firewall itself admits is not applied yet."""
        interfaces = self.client.get("/interface/apply")
        dhcp = self.client.get("/services/dhcp_server/apply")
        firewall = self.client.get("/firewall/apply")
        statuses = [interfaces, dhcp, firewall]
        if self.holds_vips:
            statuses.append(self.client.get(VIP_APPLY))
        return not all(bool(status.get("applied")) for status in statuses)

    @property
    def holds_vips(self) -> bool:
        return self.site.public_mode is PublicAddressMode.ONE_TO_ONE_NAT

    # --- writes --------------------------------------------------------------------------------
    def create(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        self.dirty = True  # even a write whose answer is lost may have landed
        with self._refused_interfaces():
            data = self.client.post(path, body)
        return dict(data) if isinstance(data, dict) else {}

    def update(self, path: str, body: Mapping[str, Any]) -> None:
        self.dirty = True
        with self._refused_interfaces():
            self.client.patch(path, body)

    @contextlib.contextmanager
    def _refused_interfaces(self) -> Iterator[None]:
        """An interface named in a form the API no longer accepts: someone changed the setting
        since we read it. Forget it, so the next attempt reads it again."""
        try:
            yield
        except FirewallRefused as ex:
            if ex.response_id == "FIELD_INVALID_CHOICE":
                self._represent_as = None
            raise

    def delete(self, path: str, **query: Any) -> bool:
        """Delete one object by the id just read; "not found" is done already."""
        self.dirty = True
        try:
            self.client.delete(path, **query)
        except FirewallRefused as ex:
            if ex.status == 404:
                return False
            raise
        return True

    def delete_each(self, path: str, objects: Sequence[Mapping[str, Any]]) -> None:
        """Delete objects found by one read, the highest id of each list first, so the ids of the
        others do not shift under us."""
        for obj in sorted(objects, key=lambda o: (str(o.get("parent_id", "")), -int(o["id"]))):
            query: dict[str, Any] = {"id": obj["id"]}
            if "parent_id" in obj:
                query["parent_id"] = obj["parent_id"]
            self.delete(path, **query)

    def apply(self) -> None:
        paths = APPLY if not self.holds_vips else (*APPLY[:2], VIP_APPLY, APPLY[2])
        for path in paths:
            # async=false: the answer comes after the reload, so `apply` returning means live
            self.client.post(path, {"async": False})
