"""`hostprovider simulate`: the sandbox's infrastructure as one service every process shares.

A PostgreSQL install without hardware still needs a hypervisor and a firewall, and they must be
the same ones for the API workers and for every scheduler (a guest made by one scheduler is
snapshotted by another and shown by the API). So the simulators run here, in one process, behind
their real HTTP APIs; every other process uses the real Proxmox and pfSense adapters against them,
exactly as it would against the real thing:

- a Proxmox VE cluster with the sandbox's nodes, the catalogue's LXC templates on every node and
  a copy of each QEMU template per node;
- one pfSense firewall per location (a VLAN tag is unique per firewall, as the site file has it);
- the nodes' side of SSH, for LXC password work, behind a shim program that stands in for `ssh`.

The command writes, under its state directory, the site file and an env file of HOSTPROVIDER_*
settings that point a process at all of it (a shell takes it with `set -a; . FILE; set +a`). The
simulators keep their state in memory: this process is the hardware, and stopping it is losing the
cluster.
"""

from __future__ import annotations

import contextlib
import json
import signal
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import attrs

from entrypoints import sandbox
from entrypoints.config import ConfigError
from entrypoints.preflight import host_port
from simulators.pfsense import PfSenseSimulator
from simulators.proxmox import ProxmoxSimulator
from simulators.proxmox.node_shell import NodeShellServer, write_ssh_shim

STORAGE, BRIDGE = "local-lvm", "vmbr1"
NAMESERVERS = ("1.1.1.1",)
Layout = Mapping[int, Sequence[str]]  # each location's node names


def populate_cluster(simulator: ProxmoxSimulator, layout: Layout | None = None) -> None:
    """Every node of `layout` (the sandbox's by default), stocked with the sandbox catalogue's
    templates."""
    nodes = [node for names in (layout or nodes_by_location()).values() for node in names]
    for node in nodes:
        simulator.add_node(node, **sandbox.NODE_CAPACITY)
    sandbox.stock_templates(simulator, nodes=nodes)


def nodes_by_location() -> dict[int, list[str]]:
    nodes: dict[int, list[str]] = {}
    for location_id, node in sandbox.sandbox_nodes():
        nodes.setdefault(location_id, []).append(node)
    return nodes


def supernet_of(location_id: int) -> str:
    """A /12 per location: room for a /24 for every tag of the default VLAN range."""
    return f"10.{16 * location_id}.0.0/12"


def site_toml(
    firewalls: Mapping[int, PfSenseSimulator] | None = None, layout: Layout | None = None
) -> str:
    """The site file laying the locations of `layout` (the sandbox's by default) out on the
    simulated cluster (and, with `firewalls`, each location on its own simulated pfSense)."""
    lines: list[str] = []
    for location_id, names in (layout or nodes_by_location()).items():
        lines += [
            "[[location]]",
            f"id = {location_id}",
            f"nodes = {json.dumps(list(names))}",  # a JSON list of strings is TOML
            f'storage = "{STORAGE}"',
            f'bridge = "{BRIDGE}"',
            f"nameservers = {json.dumps(list(NAMESERVERS))}",
            f'supernet = "{supernet_of(location_id)}"',
            "",
        ]
        firewall = (firewalls or {}).get(location_id)
        if firewall is not None:
            lines += [
                "[location.firewall]",
                f'url = "{firewall.url}"',
                f'trunk = "{firewall.trunk}"',
                'wan = "wan"',
                'public_mode = "routed"',
                "",
            ]
    return "\n".join(lines)


@attrs.define
class SimulatedInfrastructure:
    """The running simulators, and the settings that point a process at them."""

    proxmox: ProxmoxSimulator
    firewalls: dict[int, PfSenseSimulator]
    node_shell: NodeShellServer
    site_file: Path
    ssh_program: Path

    def settings(self) -> dict[str, str]:
        any_firewall = next(iter(self.firewalls.values()))
        return {
            "HOSTPROVIDER_SITE_FILE": str(self.site_file),
            "HOSTPROVIDER_PROXMOX_URL": self.proxmox.url,
            "HOSTPROVIDER_PROXMOX_TOKEN_ID": self.proxmox.token_id,
            "HOSTPROVIDER_PROXMOX_TOKEN_SECRET": self.proxmox.token_secret,
            "HOSTPROVIDER_PROXMOX_SSH_USER": "root",
            "HOSTPROVIDER_PROXMOX_SSH_PROGRAM": str(self.ssh_program),
            # Each location names its own firewall in the site file; this one is the default.
            "HOSTPROVIDER_PFSENSE_URL": any_firewall.url,
            "HOSTPROVIDER_PFSENSE_API_KEY": any_firewall.api_key,
        }

    def write_env_file(self, path: Path) -> Path:
        lines = [
            "# Written by `hostprovider simulate`: the simulated cluster and firewalls.",
            *(f"{key}={value}" for key, value in self.settings().items()),
        ]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path


def _address(host: str, port: int, offset: int) -> tuple[str, int]:
    return host, (port + offset if port else 0)


@contextlib.contextmanager
def simulated_infrastructure(
    state_dir: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    task_seconds: float | Mapping[str, float] = 2.0,
    layout: Layout | None = None,
) -> Iterator[SimulatedInfrastructure]:
    """Start everything; ports are `port` (Proxmox), `port+1` (the node shell), `port+1+n` (the
    n-th location's firewall), or free ones when `port` is 0. `layout` names each location's
    nodes (the sandbox's by default); `task_seconds` may give each worker type its own."""
    layout = layout or nodes_by_location()
    state_dir.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        proxmox = ProxmoxSimulator(
            task_seconds=task_seconds,
            resources_lag_seconds=2.0,
            address=_address(host, port, 0),
        )
        populate_cluster(proxmox, layout)
        stack.enter_context(proxmox)
        shell = NodeShellServer(proxmox, _address(host, port, 1)).start()
        stack.callback(shell.stop)
        firewalls: dict[int, PfSenseSimulator] = {}
        for n, location_id in enumerate(layout, start=2):
            # A v2.7+ package at its defaults, with API keys enabled as the README tells an
            # operator to do (KeyAuth beside BasicAuth).
            firewall = PfSenseSimulator(
                address=_address(host, port, n), auth_methods=("BasicAuth", "KeyAuth")
            )
            firewalls[location_id] = stack.enter_context(firewall)
        site_file = state_dir / "site.toml"
        site_file.write_text(site_toml(firewalls, layout), encoding="utf-8")
        ssh_program = write_ssh_shim(state_dir, shell.url, sys.executable)
        yield SimulatedInfrastructure(proxmox, firewalls, shell, site_file, ssh_program)


def parse_bind(bind: str) -> tuple[str, int]:
    host, port = host_port(bind)
    if port > 65535 - 8:  # the firewalls and the node shell take the ports after it
        raise ConfigError(f"--bind {bind!r}: leave room for the ports after it (at most 65527)")
    return host, port


def simulate(state_dir: Path, bind: str, task_seconds: float) -> int:
    """Run until SIGTERM or Ctrl-C; print where the settings are once everything answers."""
    host, port = parse_bind(bind)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        infrastructure = simulated_infrastructure(
            state_dir, host=host, port=port, task_seconds=task_seconds
        )
        with infrastructure as running:
            env_file = running.write_env_file(state_dir / "simulated.env")
            print(f"simulated infrastructure ready; settings in {env_file}", flush=True)
            stop.wait()
    except OSError as ex:  # a port taken, a folder not writable: the operator's to fix
        raise ConfigError(f"simulate: {ex.strerror or ex}") from None
    return 0
