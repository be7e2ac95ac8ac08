"""The hypervisor contract rig for the real Proxmox adapter: the PVE simulator on loopback with a
clock the test moves (the adapter's pauses move it too), one node `pve1` like the fake's, and the
rig's hooks translated into the simulator's control API. Every request the adapter sent must have
passed the PVE 8.4 schema: the simulator's violations are checked at teardown."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from adapters.memory import FakeClock
from adapters.proxmox.client import ProxmoxClient
from adapters.proxmox.config import ProxmoxConnection, ProxmoxSite
from adapters.proxmox.hypervisor import ProxmoxHypervisor
from adapters.proxmox.lxc_password import CommandResult, SshLxcPasswordCommand, SshSettings
from domain.model.errors import Unavailable
from simulators.proxmox.node_shell import NodeShell
from simulators.proxmox.simulator import ProxmoxSimulator

from .builders import T0
from .conftest import LOCATION, NODE, OSTEMPLATE, HypervisorRig

STORAGE, BRIDGE = "local-lvm", "vmbr0"


class SimulatedNodeShell:
    """The adapter's `run` callable played by the simulated nodes (see simulators' NodeShell)."""

    def __init__(self, simulator: ProxmoxSimulator) -> None:
        self._node = NodeShell(simulator)

    @property
    def commands(self) -> list[str]:
        return self._node.commands

    def __call__(self, argv: Sequence[str], stdin: bytes, timeout: float) -> CommandResult:
        return CommandResult(*self._node.run_remote(argv[-1], stdin))


def proxmox_hypervisor() -> Iterator[HypervisorRig]:
    clock = FakeClock(T0)
    # Short tasks keep the polling (one request per second of a task) brief.
    simulator = ProxmoxSimulator(clock, task_seconds=3, resources_lag_seconds=10)
    with simulator:
        sites = {LOCATION: ProxmoxSite(nodes=(), storage=STORAGE, bridge=BRIDGE)}

        def add_node(
            location_id: int,
            name: str,
            cores: int = 32,
            memory_mib: int = 131072,
            disk_gib: int = 2000,
            *,
            online: bool = True,
        ) -> None:
            simulator.add_node(
                name, cores=cores, memory_mib=memory_mib, disk_gib=disk_gib, online=online
            )
            simulator.add_ostemplate(name, OSTEMPLATE)
            site = sites.get(location_id) or ProxmoxSite((), STORAGE, BRIDGE)
            sites[location_id] = ProxmoxSite((*site.nodes, name), site.storage, site.bridge)

        def fail_next(
            operation: str,
            *,
            times: int = 1,
            message: str | None = None,
            immediate: bool = False,
            error: Exception | None = None,
        ) -> None:
            if isinstance(error, Unavailable):  # a transient HTTP failure, as from a proxy
                simulator.fail_next(operation, times=times, message=message, http_status=503)
            else:
                simulator.fail_next(
                    operation,
                    times=times,
                    message=message or (str(error) if error else None),
                    immediate=immediate or error is not None,
                )

        connection = ProxmoxConnection(simulator.url, simulator.token_id, simulator.token_secret)
        client = ProxmoxClient(connection, sleep=clock.advance)
        shell = SimulatedNodeShell(simulator)
        hypervisor = ProxmoxHypervisor(
            client,
            sites,
            clock=clock,
            sleep=clock.advance,
            lxc_password_command=SshLxcPasswordCommand(SshSettings(), shell),
        )
        add_node(LOCATION, NODE, cores=8, memory_mib=16384, disk_gib=200)
        yield HypervisorRig(
            hypervisor,
            clock,
            clock.advance,
            add_node,
            simulator.set_node_online,
            fail_next,
            simulator.add_ostemplate,
            lambda node, vmid, name: simulator.add_template(node, vmid, name),
        )
        client.close()
        assert simulator.violations == []
