"""One API call as a handler sees it: validated parameters (path ones included), the caller's token
user, and the cluster; and what a handler may answer besides plain data."""

from __future__ import annotations

from typing import Any

import attrs

from simulators.proxmox.cluster import Cluster
from simulators.proxmox.model import PveError


@attrs.frozen
class Call:
    cluster: Cluster
    params: dict[str, str]
    user: str  # "user@realm!tokenid", as it appears in UPIDs

    @property
    def node(self) -> str:
        return self.params["node"]

    @property
    def vmid(self) -> int:
        return int(self.params["vmid"])

    def text(self, name: str, default: str | None = None) -> str | None:
        return self.params.get(name, default)

    def number(self, name: str, default: int) -> int:
        return int(self.params[name]) if name in self.params else default

    def flag(self, name: str) -> bool:
        return self.params.get(name) == "1"


@attrs.frozen
class Reply:
    """Data plus extra top-level members of the envelope (`total` on task logs and lists)."""

    data: Any
    extra: dict[str, Any] = attrs.field(factory=dict)


def bad_parameter(name: str, message: str) -> PveError:
    return PveError(400, "Parameter verification failed.", {name: message})
