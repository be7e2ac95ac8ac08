"""What the Proxmox adapter is told about the cluster: how to reach its API and how each location
(site) is laid out on it. Plain values, built by the composition root from settings."""

from __future__ import annotations

import attrs


@attrs.frozen
class ProxmoxConnection:
    """One Proxmox VE cluster's API. Any node answers for the whole cluster."""

    url: str  # e.g. "https://pve1.example.net:8006" (the client adds /api2/json)
    token_id: str  # "USER@REALM!TOKENNAME", e.g. "hostprovider@pve!panel"
    token_secret: str = attrs.field(repr=False)
    # TLS: the cluster CA file (pve-root-ca.pem) or the node certificate's SHA-256 fingerprint
    # ("AA:BB:..." as `GET /nodes` shows it). Neither: the system trust store (ACME certificates).
    ca_file: str | None = None
    fingerprint_sha256: str | None = None
    connect_timeout: float = 5.0
    # Synchronous PVE handlers may wait 10 s for a config lock before answering.
    read_timeout: float = 30.0


@attrs.frozen
class ProxmoxSite:
    """A location: the nodes that serve it and where its guests' disks and NICs go."""

    nodes: tuple[str, ...]
    storage: str  # guest disks, e.g. "local-lvm"
    bridge: str  # guest NICs, e.g. "vmbr0" (VLAN-aware: each guest gets its customer's tag)
    nameservers: tuple[str, ...] = ()
    qemu_disk: str = "scsi0"  # the boot disk of the QEMU templates, grown to the ordered size
    qemu_user: str = "root"  # the cloud-init user whose password and keys are set
    swap_mib: int = 512  # LXC swap


@attrs.frozen
class RetryPolicy:
    """Backoff for reads that hit transient trouble and for writes refused by a guest lock."""

    read_attempts: int = 4
    lock_attempts: int = 5
    first_delay: float = 1.0
    max_delay: float = 16.0

    def delays(self, attempts: int) -> list[float]:
        """The pauses between `attempts` tries: 1, 2, 4, ... capped."""
        return [min(self.first_delay * 2**i, self.max_delay) for i in range(attempts - 1)]
