"""The warm pool: stopped guests built ahead of orders, so an order skips the slow create.

Per (location, OS image) the provider keeps a number of guests built at the catalogue's smallest
size. An order whose location and image match takes one (its disk only ever grows, so any pooled
guest no bigger than the order fits) and has it reconfigured with its own name, network, password
and size instead of waiting for a fresh guest.

A pooled guest is recorded `building` before it is created, so a crash mid-build leaves a row that
points at it, and becomes `ready` once its create task ended OK. Only ready guests are handed out.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping

import attrs

from domain.model.catalogue import ResourceLimits, ServerConfig, disk_can_become

OWNER_TAG = "hostprovider"  # every guest we create carries it; others are never touched
POOL_TAG = "pool"
# Marks, among a server's saga steps, a server whose guest was claimed from the pool: the guest step
# then reconfigures that guest instead of creating one, and compensation destroys it.
CLAIMED_STEP = "pooled"
# Where a pooled guest's network points until an order gives it its own: a VLAN outside every
# customer's range and no address. The guest stays stopped, so this is a label more than a network.
PARKING_VLAN = 4094
PARKING_ADDRESS = "dhcp"

# (location id, OS image id) -> how many ready-or-building guests to keep
PoolTargets = Mapping[tuple[int, int], int]


class PoolState(enum.Enum):
    BUILDING = "building"
    READY = "ready"


@attrs.frozen
class PooledGuest:
    id: int
    location_id: int
    image_id: int
    node: str
    vmid: int
    disk_gib: int  # what it was built with: an order needs at least this much
    state: PoolState
    created_at: dt.datetime

    @property
    def hostname(self) -> str:
        return pool_hostname(self.id)

    def ready(self) -> PooledGuest:
        return attrs.evolve(self, state=PoolState.READY)

    def fits(self, config: ServerConfig) -> bool:
        """Cores and memory can be set to anything; a disk can only grow."""
        return disk_can_become(self.disk_gib, config.disk_gib)


def pool_hostname(pool_id: int) -> str:
    return f"pool-{pool_id}"


def pool_size(limits: ResourceLimits) -> ServerConfig:
    """What a pooled guest is built with: the smallest configuration anyone can order."""
    return ServerConfig(
        cores=limits.cores.minimum,
        memory_mib=limits.memory_mib.minimum,
        disk_gib=limits.disk_gib.minimum,
    )


def shortfall(targets: PoolTargets, pooled: Iterable[PooledGuest]) -> dict[tuple[int, int], int]:
    """How many guests each pool lacks: a guest being built already counts, so two ticks in a
    row do not build the same guest twice."""
    have: dict[tuple[int, int], int] = {}
    for guest in pooled:
        key = (guest.location_id, guest.image_id)
        have[key] = have.get(key, 0) + 1
    return {
        key: wanted - have.get(key, 0)
        for key, wanted in sorted(targets.items())
        if wanted > have.get(key, 0)
    }
