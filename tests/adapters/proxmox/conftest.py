from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence
from typing import Any

import attrs
import pytest

from adapters.memory import FakeClock
from adapters.proxmox.client import ProxmoxClient
from adapters.proxmox.config import ProxmoxConnection, ProxmoxSite
from adapters.proxmox.hypervisor import ProxmoxHypervisor
from adapters.proxmox.lxc_password import CommandResult, SshLxcPasswordCommand, SshSettings
from domain.model.catalogue import GuestKind
from ports.hypervisor import GuestSpec
from simulators.proxmox.simulator import ProxmoxSimulator

from .stub_pve import StubPve

TOKEN_ID = "hostprovider@pve!panel"
TOKEN_SECRET = "8a1e4f2c-1111-2222-3333-444455556666"


@pytest.fixture
def stub() -> Iterator[StubPve]:
    with StubPve() as server:
        yield server


@pytest.fixture
def pauses() -> list[float]:
    """The backoff pauses the client asked for (nothing really sleeps)."""
    return []


@pytest.fixture
def client(stub: StubPve, pauses: list[float]) -> ProxmoxClient:
    connection = ProxmoxConnection(stub.url, TOKEN_ID, TOKEN_SECRET, read_timeout=5)
    return ProxmoxClient(connection, sleep=pauses.append)


# --- the adapter on the PVE simulator ------------------------------------------------------------

NODE = "pve1"
OSTEMPLATE = "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst"
QEMU_TEMPLATE = 9000


@attrs.define
class NodeShell:
    """The node's side of the adapter's SSH commands: keeps them, and lets `chpasswd` change the
    simulated guest's password as it would on the node."""

    simulator: ProxmoxSimulator
    commands: list[tuple[str, bytes]] = attrs.field(factory=list)

    def __call__(self, argv: Sequence[str], stdin: bytes, timeout: float) -> CommandResult:
        remote = argv[-1]
        self.commands.append((remote, stdin))
        found = re.match(r"pct (?:exec|mount) (\d+)", remote)
        if found and "chpasswd" in remote:
            user, _, password = stdin.decode().rstrip("\n").partition(":")
            with self.simulator.cluster.lock:
                self.simulator.cluster.guests[int(found.group(1))].passwords[user] = password
        return CommandResult(0)


@attrs.define
class OnSimulator:
    simulator: ProxmoxSimulator
    hv: ProxmoxHypervisor
    clock: FakeClock
    shell: NodeShell
    sites: dict[int, ProxmoxSite]

    def spec(self, vmid: int, **changes: Any) -> GuestSpec:
        fields: dict[str, Any] = dict(
            kind=GuestKind.LXC,
            vmid=vmid,
            hostname=f"srv-{vmid}",
            template=OSTEMPLATE,
            cores=1,
            memory_mib=1024,
            disk_gib=10,
            mac_address="02:48:50:00:00:01",
            vlan=100,
            ip_address="10.20.0.5/24",
            gateway="10.20.0.1",
            root_password="Secret-pass-123",
            ssh_keys=("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB alice@laptop",),
            tags=("hostprovider",),
        )
        fields.update(changes)
        return GuestSpec(**fields)

    def without_lxc_passwords(self) -> ProxmoxHypervisor:
        client = ProxmoxClient(self.hv._client.connection, sleep=self.clock.advance)
        return ProxmoxHypervisor(client, self.sites, clock=self.clock, sleep=self.clock.advance)


@pytest.fixture
def pve() -> Iterator[OnSimulator]:
    clock = FakeClock(dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC))
    # A cluster view that never catches up: only the node's own answers can be relied on.
    with ProxmoxSimulator(clock, task_seconds=3, resources_lag_seconds=100_000) as simulator:
        simulator.add_node(NODE, cores=8, memory_mib=16384, disk_gib=200)
        simulator.add_ostemplate(NODE, OSTEMPLATE)
        simulator.add_template(NODE, QEMU_TEMPLATE, "ubuntu-2404-cloud", disk_gib=8)
        sites = {
            1: ProxmoxSite((NODE,), "local-lvm", "vmbr0", nameservers=("10.20.0.2", "10.20.0.3"))
        }
        connection = ProxmoxConnection(simulator.url, simulator.token_id, simulator.token_secret)
        client = ProxmoxClient(connection, sleep=clock.advance)
        shell = NodeShell(simulator)
        hv = ProxmoxHypervisor(
            client,
            sites,
            clock=clock,
            sleep=clock.advance,
            shutdown_timeout=30,
            lxc_password_command=SshLxcPasswordCommand(SshSettings(), shell),
        )
        yield OnSimulator(simulator, hv, clock, shell, sites)
        assert simulator.violations == []
