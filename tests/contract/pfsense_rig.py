"""The pfSense fabric on simulated firewalls, for the NetworkFabric contract suite and the adapter
tests: one simulator per location, the real adapter over HTTP, the port's test hooks mapped onto
the simulator (what is live, planned faults)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs

from adapters.pfsense import FirewallSite, PfSenseFabric, PublicAddressMode
from adapters.pfsense.readback import Snapshot, fabric_state
from domain.model.network import CustomerNetworks, VlanRange
from ports.network import FabricState
from simulators.pfsense import PfSenseSimulator

ATTEMPTS = 3
KEY_AUTH = ("BasicAuth", "KeyAuth")  # the operator enabled API keys, as the README says
SUPERNET = "10.20.0.0/16"
VLANS = VlanRange(100, 355)  # one /24 of the supernet per tag

# The request that carries each port operation's change: a fault planned for the operation fails
# that request (refused: 400; transient: 503 on every attempt the adapter makes).
OPERATION_REQUESTS = {
    "ensure_vlan": ("POST", "/interface/vlan"),
    "remove_vlan": ("DELETE", "/interface/vlan"),
    "ensure_mapping": ("POST", "/services/dhcp_server/static_mapping"),
    "remove_mapping": ("DELETE", "/services/dhcp_server/static_mapping"),
    "ensure_rules": ("POST", "/firewall/rule"),
    "remove_rules": ("DELETE", "/firewall/rule"),
    "apply": ("POST", "/interface/apply"),  # the first of the three applies
}


def site_for(sim: PfSenseSimulator, **changes: Any) -> FirewallSite:
    fields: dict[str, Any] = dict(
        url=sim.url,
        api_key=sim.api_key,
        networks=CustomerNetworks(SUPERNET),
        vlan_range=VLANS,
        trunk=sim.trunk,
        wan="wan",
        public_mode=PublicAddressMode.ROUTED,
    )
    fields.update(changes)
    return FirewallSite(**fields)


def snapshot_of(view: dict[str, Any]) -> Snapshot:
    """A simulator layer (`live_state()` / `config_state()`) as the adapter's read-back input."""
    return Snapshot(
        vlans=view["vlans"],
        interfaces=view["interfaces"],
        mappings=view["static_mappings"],
        rules=view["rules"],
        nat=view["one_to_one"],
    )


@attrs.define
class PfSenseRig:
    locations: Iterable[int] = (1, 2)
    site_changes: dict[str, Any] = attrs.field(factory=dict)
    sims: dict[int, PfSenseSimulator] = attrs.field(factory=dict)
    fabric: PfSenseFabric = attrs.field(init=False)
    pauses: list[float] = attrs.field(factory=list)
    # how the simulated boxes differ from a current package's defaults (plus KeyAuth)
    simulator: dict[str, Any] = attrs.field(factory=dict)

    def __enter__(self) -> PfSenseRig:
        try:
            for location in self.locations:
                options = {"auth_methods": KEY_AUTH, **self.simulator}
                self.sims[location] = PfSenseSimulator(**options).start()
        except BaseException:
            self._stop()
            raise
        sites = {loc: site_for(sim, **self.site_changes) for loc, sim in self.sims.items()}
        self.fabric = PfSenseFabric(sites, sleep=self.pauses.append, attempts=ATTEMPTS)
        return self

    def __exit__(self, *_: object) -> None:
        self.fabric.close()
        self._stop()
        for sim in self.sims.values():
            sim.assert_no_violations()

    def _stop(self) -> None:
        for sim in self.sims.values():
            sim.stop()

    def site(self, location: int) -> FirewallSite:
        return site_for(self.sims[location], **self.site_changes)

    def live_state(self, location: int) -> FabricState:
        view = self.sims[location].live_state()
        return fabric_state(snapshot_of(view), self.site(location), pending=False)

    def config_state(self, location: int) -> FabricState:
        view = self.sims[location].config_state()
        return fabric_state(snapshot_of(view), self.site(location), pending=False)

    def fail_next(
        self,
        operation: str,
        *,
        times: int = 1,
        transient: bool = False,
        message: str | None = None,
        location: int | None = None,
    ) -> None:
        method, path = OPERATION_REQUESTS[operation]
        for loc, sim in self.sims.items():
            if location not in (None, loc):
                continue
            if transient:
                sim.fail_next(method, path, status=503, times=times * ATTEMPTS, message=message)
            else:
                sim.fail_next(
                    method, path, status=400, times=times, message=message,
                    response_id="SIMULATED_REFUSAL",
                )  # fmt: skip
