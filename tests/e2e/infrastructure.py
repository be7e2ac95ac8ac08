"""Simulated outside systems for the e2e stack: a Proxmox VE cluster that lives in the test process,
so that the API workers and every scheduler (separate processes, restarted at will) all talk to
the same guests over HTTP, as they would to a real cluster. The site file lays the sandbox
catalogue's locations out on its nodes."""

from __future__ import annotations

import contextlib
import hashlib
import json
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs

from adapters.proxmox.config import ProxmoxSite
from entrypoints import sandbox
from simulators.proxmox import ProxmoxSimulator
from simulators.proxmox.node_shell import NodeShell, NodeShellServer, write_ssh_shim

STORAGE, BRIDGE = "local-lvm", "vmbr1"
NAMESERVERS = ("1.1.1.1",)


@contextlib.contextmanager
def simulated_proxmox(
    task_seconds: float = 0.3, *, clock: Any = None, tls: Certificate | None = None
) -> Iterator[ProxmoxSimulator]:
    """Every sandbox node with the LXC templates and a copy of each QEMU template; tasks take
    `task_seconds` on `clock` (by default real time; a FakeClock makes them wait for the test).
    With `tls` the API is HTTPS on that certificate, as PVE's always is."""
    simulator = ProxmoxSimulator(
        clock,
        task_seconds=task_seconds,
        resources_lag_seconds=2.0,
        tls_cert=str(tls.cert_file) if tls else None,
        tls_key=str(tls.key_file) if tls else None,
    )
    for _, node in sandbox.sandbox_nodes():
        simulator.add_node(node, **sandbox.NODE_CAPACITY)
    sandbox.stock_templates(simulator)
    with simulator:
        yield simulator
    assert simulator.violations == [], simulator.violations


def proxmox_sites() -> dict[int, ProxmoxSite]:
    """The adapter's view of the layout `write_site_file` describes, for tests that build the
    adapter themselves."""
    nodes: dict[int, list[str]] = {}
    for location_id, node in sandbox.sandbox_nodes():
        nodes.setdefault(location_id, []).append(node)
    return {
        location_id: ProxmoxSite(tuple(names), STORAGE, BRIDGE, nameservers=NAMESERVERS)
        for location_id, names in nodes.items()
    }


def write_site_file(folder: Path) -> Path:
    lines: list[str] = []
    nodes: dict[int, list[str]] = {}
    for location_id, node in sandbox.sandbox_nodes():
        nodes.setdefault(location_id, []).append(node)
    for location_id, names in nodes.items():
        quoted = ", ".join(f'"{n}"' for n in names)
        lines += [
            "[[location]]",
            f"id = {location_id}",
            f"nodes = [{quoted}]",
            f'storage = "{STORAGE}"',
            f'bridge = "{BRIDGE}"',
            f"nameservers = {json.dumps(list(NAMESERVERS))}",  # a JSON list of strings is TOML
            f'supernet = "10.{10 + location_id}.0.0/16"',
            "",
        ]
    path = folder / "site.toml"
    path.write_text("\n".join(lines))
    return path


def proxmox_settings(
    simulator: ProxmoxSimulator, folder: Path, *, tls: Certificate | None = None
) -> dict[str, str]:
    """HOSTPROVIDER_* settings (without the prefix) that point a process at the simulator."""
    settings = {
        "proxmox_url": simulator.url,
        "proxmox_token_id": simulator.token_id,
        "proxmox_token_secret": simulator.token_secret,
        "site_file": str(write_site_file(folder)),
    }
    if tls is not None:  # pinned, as a PVE node's self-signed certificate usually is
        settings["proxmox_fingerprint"] = tls.fingerprint
    return settings


# --- TLS -----------------------------------------------------------------------------------------


@attrs.frozen
class Certificate:
    cert_file: Path
    key_file: Path
    fingerprint: str  # SHA-256, "AA:BB:...", as PVE shows its node certificate's


def self_signed_certificate(folder: Path) -> Certificate:
    """A certificate for 127.0.0.1, like the one a fresh PVE node makes for itself."""
    cert, key = folder / "pve-ssl.pem", folder / "pve-ssl.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
        + ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
        + ["-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    digest = hashlib.sha256(ssl.PEM_cert_to_DER_cert(cert.read_text())).hexdigest().upper()
    return Certificate(cert, key, ":".join(digest[i : i + 2] for i in range(0, 64, 2)))


# --- SSH to the nodes ----------------------------------------------------------------------------


@contextlib.contextmanager
def node_shell_server(simulator: ProxmoxSimulator) -> Iterator[tuple[str, NodeShell]]:
    """The URL the ssh shim posts to, and the shell that keeps the commands it ran."""
    server = NodeShellServer(simulator).start()
    try:
        yield server.url, server.shell
    finally:
        server.stop()


@attrs.frozen
class ProxmoxBackend:
    simulator: ProxmoxSimulator
    shell: NodeShell  # the commands the nodes were sent over ssh
    settings: dict[str, str]


@contextlib.contextmanager
def proxmox_backend(folder: Path, task_seconds: float) -> Iterator[ProxmoxBackend]:
    """A simulated cluster over HTTPS, SSH to its nodes, and the settings that point a sandbox at
    them (full HOSTPROVIDER_* names)."""
    tls = self_signed_certificate(folder)
    with (
        simulated_proxmox(task_seconds, tls=tls) as simulator,
        node_shell_server(simulator) as (url, shell),
    ):
        unprefixed = {
            **proxmox_settings(simulator, folder, tls=tls),
            "proxmox_ssh_user": "root",
            "proxmox_ssh_program": str(write_ssh_shim(folder, url, sys.executable)),
        }
        settings = {f"HOSTPROVIDER_{key.upper()}": value for key, value in unprefixed.items()}
        yield ProxmoxBackend(simulator, shell, settings)
