"""Placement: which node of a location gets a new guest.

The least loaded node that has room wins, where room allows a configured overcommit of cores and
memory (guests rarely use all they reserve) but never of disk. A node's load counts, besides the
guests it carries, the servers already placed on it whose guests are not made yet: orders built
side by side would otherwise all see the same figures and pile onto one node.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs

from domain.model.catalogue import ServerConfig
from domain.model.errors import CapacityExhausted


@attrs.frozen
class NodeLoad:
    name: str
    online: bool
    cores: int
    memory_mib: int
    disk_gib: int
    used_cores: int
    used_memory_mib: int
    used_disk_gib: int


@attrs.frozen
class Overcommit:
    """Ratios in percent: 400 lets a node promise four times its cores."""

    cores_percent: int = 400
    memory_percent: int = 100


def fits(node: NodeLoad, config: ServerConfig, overcommit: Overcommit) -> bool:
    return (
        node.online
        and (node.used_cores + config.cores) * 100 <= node.cores * overcommit.cores_percent
        and (node.used_memory_mib + config.memory_mib) * 100
        <= node.memory_mib * overcommit.memory_percent
        and node.used_disk_gib + config.disk_gib <= node.disk_gib
    )


def growth(current: ServerConfig, wanted: ServerConfig) -> ServerConfig | None:
    """What a guest of `current` size, already counted in its node's load, adds to it by becoming
    `wanted` (negative where it shrinks): the room `fits` must find for the change. None when
    nothing grows: such a change needs no room, even on a node that got full meanwhile."""
    added = ServerConfig(
        wanted.cores - current.cores,
        wanted.memory_mib - current.memory_mib,
        wanted.disk_gib - current.disk_gib,
    )
    return added if max(added.cores, added.memory_mib, added.disk_gib) > 0 else None


def load_permille(node: NodeLoad, overcommit: Overcommit = Overcommit()) -> int:
    """How full a node is by its scarcest resource, in permille of what it may promise."""
    return max(
        node.used_memory_mib * 100_000 // max(node.memory_mib * overcommit.memory_percent, 1),
        node.used_disk_gib * 1000 // max(node.disk_gib, 1),
        node.used_cores * 100_000 // max(node.cores * overcommit.cores_percent, 1),
    )


def with_coming(node: NodeLoad, coming: Sequence[ServerConfig]) -> NodeLoad:
    """The node's load once the guests `coming` to it are made."""
    return attrs.evolve(
        node,
        used_cores=node.used_cores + sum(c.cores for c in coming),
        used_memory_mib=node.used_memory_mib + sum(c.memory_mib for c in coming),
        used_disk_gib=node.used_disk_gib + sum(c.disk_gib for c in coming),
    )


def choose_node(
    nodes: list[NodeLoad],
    config: ServerConfig,
    overcommit: Overcommit,
    coming: Mapping[str, Sequence[ServerConfig]] | None = None,
) -> str:
    """The node for a guest of `config`; `coming` are the sizes of the guests already placed on
    each node (by name) but not on its figures yet. They steer the choice and never refuse it: a
    node with room now stays a candidate, since a placed server may yet fail before its guest."""
    candidates = [n for n in nodes if fits(n, config, overcommit)]
    if not candidates:
        raise CapacityExhausted("no node in this location has room for the server")
    expected = {n.name: with_coming(n, (coming or {}).get(n.name, ())) for n in candidates}
    roomy = [n for n in candidates if fits(expected[n.name], config, overcommit)] or candidates
    return min(roomy, key=lambda n: (load_permille(expected[n.name], overcommit), n.name)).name
