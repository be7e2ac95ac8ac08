"""The back office (the composition root's, in memory) with the real pfSense adapter on one
simulated firewall per location of the sandbox catalogue, laid out like the sandbox's IPAM so
that addresses and subnets agree."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from adapters.pfsense import PfSenseFabric
from domain.model.network import VlanRange
from entrypoints.sandbox import sandbox_networks
from tests.backoffice import Backoffice
from tests.contract.pfsense_rig import ATTEMPTS, PfSenseRig, site_for
from tests.usecases.support import World

LOCATIONS = (1, 2, 3)  # the sandbox catalogue's, each with its own firewall


@contextlib.contextmanager
def shop_on_pfsense(**site_changes: Any) -> Iterator[tuple[World, PfSenseRig]]:
    with PfSenseRig(locations=LOCATIONS) as rig:
        sites = {
            loc: site_for(
                sim, networks=sandbox_networks()[loc], vlan_range=VlanRange(100, 355),
                **site_changes,
            )
            for loc, sim in rig.sims.items()
        }  # fmt: skip
        fabric = PfSenseFabric(sites, sleep=rig.pauses.append, attempts=ATTEMPTS)
        try:
            yield World(Backoffice(fabric=fabric)), rig
        finally:
            fabric.close()
