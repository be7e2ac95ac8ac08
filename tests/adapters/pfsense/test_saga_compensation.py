"""A failure at any network step of the create saga, followed by the saga's compensation, leaves
the firewall exactly as it was, in config.xml and in what it enforces.

The steps and undo mirror domain/usecases/provisioning.py: vlan -> mapping -> firewall (rules +
apply); undo removes rules and mapping (and applies) once the mapping step has begun, then releases
the network (removes the customer's VLAN and applies, since this is their only server)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from domain.model.errors import DomainError
from domain.model.network import DEFAULT_INBOUND
from ports.network import StaticMapping
from tests.contract.pfsense_rig import ATTEMPTS, PfSenseRig

from .conftest import LOC

MAPPING = StaticMapping("02:48:50:00:00:01", "10.20.1.5", "srv-1", 101)
SERVER, CUSTOMER, VLAN = 1, 10, 101

# (saga step, the request of that step that fails)
FAULTS = [
    ("vlan", "POST", "/interface/vlan"),
    ("vlan", "POST", "/interface"),
    ("vlan", "POST", "/services/dhcp_server"),  # v2.7+: the new DHCP server is created
    ("vlan", "POST", "/firewall/rule"),  # the isolation rules
    ("mapping", "POST", "/services/dhcp_server/static_mapping"),
    ("firewall", "POST", "/firewall/rule"),  # the inbound rules
    ("firewall", "POST", "/interface/apply"),
    ("firewall", "POST", "/services/dhcp_server/apply"),
    ("firewall", "POST", "/firewall/apply"),
]
REFUSED, EXHAUSTED = (400, 1), (503, ATTEMPTS)  # a refusal, and a busy box past every retry


def saga_steps(rig: PfSenseRig) -> list[tuple[str, Callable[[], None]]]:
    f = rig.fabric

    def firewall() -> None:
        f.ensure_rules(LOC, SERVER, MAPPING.ip_address, VLAN, DEFAULT_INBOUND)
        f.apply(LOC)

    return [
        ("vlan", lambda: f.ensure_vlan(LOC, CUSTOMER, VLAN)),
        ("mapping", lambda: f.ensure_mapping(LOC, MAPPING)),
        ("firewall", firewall),
    ]


def compensate(rig: PfSenseRig, done: list[str]) -> None:
    f = rig.fabric
    if "mapping" in done or "firewall" in done:
        f.remove_rules(LOC, SERVER)
        f.remove_mapping(LOC, MAPPING.mac_address)
        f.apply(LOC)
    f.remove_vlan(LOC, CUSTOMER, VLAN)
    f.apply(LOC)


@pytest.mark.parametrize("fault", [REFUSED, EXHAUSTED], ids=["refused", "busy"])
@pytest.mark.parametrize(
    ("step", "method", "path"), FAULTS, ids=[f"{s}:{m} {p}" for s, m, p in FAULTS]
)
def test_a_failed_step_is_compensated_to_the_firewall_as_before(
    rig: PfSenseRig, step: str, method: str, path: str, fault: tuple[int, int]
):
    sim = rig.sims[LOC]
    pristine_config, pristine_live = sim.config_state(), sim.live_state()
    status, times = fault
    done: list[str] = []  # recorded after success, as the saga records its steps
    with pytest.raises(DomainError):
        for name, action in saga_steps(rig):
            if name == step:
                sim.fail_next(method, path, status=status, times=times)
            action()
            done.append(name)
    compensate(rig, done)
    assert sim.config_state() == pristine_config
    assert sim.live_state() == pristine_live
    assert not rig.fabric.state(LOC).pending_changes
