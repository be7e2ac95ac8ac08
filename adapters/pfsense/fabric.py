"""`PfSenseFabric`: the NetworkFabric port on one pfSense firewall per location.

Every call takes the firewall's in-process lock (one writer per firewall; across processes the
composition root wraps this fabric in `SerializedFabric`, adapters/locking/fabric.py, which holds
the shared lock `firewall:<location id>` around each write), then runs its step:
read by natural key, act at once, never keep a pfSense id. When the firewall is busy (503) or an
answer is lost (timeout, reset, 502/504), the whole step runs again after a pause: it re-reads
first, so a write that did land is not repeated. After the last attempt the error reaches the
caller as `Unavailable`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import TypeVar

from adapters.pfsense import operations
from adapters.pfsense.client import PfSenseClient
from adapters.pfsense.config import FirewallSite
from adapters.pfsense.errors import (
    FirewallBusy,
    FirewallMisconfigured,
    FirewallRefused,
    OutcomeUnknown,
)
from adapters.pfsense.firewall import Firewall
from adapters.pfsense.readback import fabric_state
from adapters.pfsense.reconcile import reconcile
from domain.model.errors import ExternalFailure, Unavailable
from domain.model.network import FirewallRule
from ports.network import FabricKeys, FabricState, ReconcileReport, StaticMapping

log = logging.getLogger(__name__)

T = TypeVar("T")

ATTEMPTS = 5
LONGEST_PAUSE = 60.0  # a Retry-After beyond this is cut short: the job may as well retry later
APPLY_POLL = 0.5


class PfSenseFabric:
    def __init__(
        self,
        sites: Mapping[int, FirewallSite],
        *,
        sleep: Callable[[float], None] = time.sleep,
        attempts: int = ATTEMPTS,
        clients: Mapping[int, PfSenseClient] | None = None,
    ) -> None:
        """`sites` by location id; `clients` replaces the HTTP clients (tests)."""
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self._sleep = sleep
        self._attempts = attempts
        self._firewalls = {
            location_id: Firewall(
                site,
                (clients or {}).get(location_id)
                or PfSenseClient(
                    site.url, site.api_key, tls=site.tls, timeouts=site.timeouts, sleep=sleep
                ),
            )
            for location_id, site in sites.items()
        }

    def close(self) -> None:
        for firewall in self._firewalls.values():
            firewall.client.close()

    def check_settings(self) -> None:
        """At start-up: every firewall takes our API key and says how its API names interfaces.
        A firewall that refuses us raises `FirewallMisconfigured` with one line saying what to
        change there; one that does not answer is left to its first operation (a firewall that
        is down must not stop the back office)."""
        for fw in self._firewalls.values():
            try:
                fw.read_settings(attempts=1)
            except FirewallMisconfigured as ex:
                raise FirewallMisconfigured(
                    f"pfSense at {fw.site.url}: {_advice(ex)}",
                    status=ex.status,
                    response_id=ex.response_id,
                ) from None
            except FirewallRefused as ex:
                raise FirewallMisconfigured(
                    f"pfSense at {fw.site.url} has no REST API v2 settings ({ex.status} "
                    f"{ex.response_id}): install pfSense-pkg-RESTAPI v2",
                    status=ex.status,
                    response_id=ex.response_id,
                ) from None
            except (FirewallBusy, OutcomeUnknown) as ex:
                log.warning("pfSense at %s did not answer at start-up: %s", fw.site.url, ex)

    # --- the NetworkFabric port ------------------------------------------------------------------
    def ensure_vlan(self, location_id: int, customer_id: int, vlan: int) -> None:
        self._run(location_id, lambda fw: operations.ensure_vlan(fw, _drop(), customer_id, vlan))

    def remove_vlan(self, location_id: int, customer_id: int, vlan: int) -> None:
        self._run(location_id, lambda fw: operations.remove_vlan(fw, _drop(), customer_id, vlan))

    def ensure_mapping(self, location_id: int, mapping: StaticMapping) -> None:
        self._run(location_id, lambda fw: operations.ensure_mapping(fw, _drop(), mapping))

    def remove_mapping(self, location_id: int, mac_address: str) -> None:
        self._run(location_id, lambda fw: operations.remove_mapping(fw, _drop(), mac_address))

    def ensure_rules(
        self,
        location_id: int,
        server_id: int,
        ip_address: str,
        vlan: int,
        rules: tuple[FirewallRule, ...],
    ) -> None:
        self._run(
            location_id,
            lambda fw: operations.ensure_rules(fw, _drop(), server_id, ip_address, vlan, rules),
        )

    def remove_rules(self, location_id: int, server_id: int) -> None:
        self._run(location_id, lambda fw: operations.remove_rules(fw, _drop(), server_id))

    def apply(self, location_id: int) -> None:
        self._run(location_id, self._apply)

    def state(self, location_id: int) -> FabricState:
        return self._run(
            location_id,
            lambda fw: fabric_state(fw.snapshot(), fw.site, pending=fw.dirty or fw.pending()),
        )

    def reconcile(
        self, location_id: int, desired: FabricState, removable: FabricKeys | None = None
    ) -> ReconcileReport:
        report = ReconcileReport()

        def work(fw: Firewall) -> ReconcileReport:
            reconcile(fw, report, desired, removable)
            if report.changed or fw.dirty or fw.pending():
                self._apply(fw)
            return report

        return self._run(location_id, work)

    # --- internals -------------------------------------------------------------------------------
    def _apply(self, fw: Firewall) -> None:
        fw.apply()
        waited = 0.0
        while fw.pending():  # async=false should make this rare; a busy box may still lag
            if waited >= fw.site.timeouts.apply_wait:
                raise Unavailable("the firewall did not finish applying", url=fw.site.url)
            self._sleep(APPLY_POLL)
            waited += APPLY_POLL
        fw.dirty = False

    def _run(self, location_id: int, step: Callable[[Firewall], T]) -> T:
        fw = self._firewalls.get(location_id)
        if fw is None:
            raise ExternalFailure(f"no firewall is configured for location {location_id}")
        with fw.lock:
            for attempt in range(1, self._attempts + 1):
                try:
                    return step(fw)
                except FirewallBusy as busy:
                    if attempt == self._attempts:
                        raise
                    pause = min(busy.retry_after, LONGEST_PAUSE)
                except OutcomeUnknown as lost:
                    if attempt == self._attempts:
                        raise
                    log.warning("pfSense %s: %s; reading back before retrying", fw.site.url, lost)
                    pause = float(2 ** (attempt - 1))
                self._sleep(pause)
        raise AssertionError("unreachable")


def _advice(refusal: FirewallMisconfigured) -> str:
    if refusal.status == 401:
        return (
            "the API key is refused (401): API keys work only once KeyAuth is among the "
            "authentication methods of System > REST API > Settings (the package's default is "
            "BasicAuth alone), and the key must be one issued there (HOSTPROVIDER_PFSENSE_API_KEY)"
        )
    if refusal.status == 403:
        return (
            "the API key's user lacks privileges (403): give it `WebCfg - All pages` or at least "
            "api-v2-system-restapi-settings-get and the privileges of the endpoints we write"
        )
    return str(refusal)


def _drop() -> ReconcileReport:
    """The record of a plain port call: nobody reads it."""
    return ReconcileReport()
