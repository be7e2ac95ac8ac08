"""Simulated outside systems for the e2e stack: a Proxmox VE cluster that lives in the test process,
so that the API workers and every scheduler (separate processes, restarted at will) all talk to
the same guests over HTTP, as they would to a real cluster. The site file lays the sandbox
catalogue's locations out on its nodes."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import re
import ssl
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import attrs

from adapters.proxmox.config import ProxmoxSite
from adapters.proxmox.lxc_password import CommandResult
from entrypoints import sandbox
from simulators.proxmox import ProxmoxSimulator
from tests.contract.proxmox_rig import SimulatedNodeShell

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

FAKE_SSH = """#!{python}
\"\"\"ssh, as far as the back office uses it: the node's side of the command is played by the
simulator in the test process, reached over the test's node shell server.\"\"\"
import base64, json, sys, urllib.request

body = {{"argv": sys.argv[1:], "stdin": base64.b64encode(sys.stdin.buffer.read()).decode()}}
request = urllib.request.Request(
    {url!r}, data=json.dumps(body).encode(), headers={{"Content-Type": "application/json"}}
)
opener = urllib.request.build_opener(urllib.request.ProxyHandler({{}}))  # loopback: no proxy
try:
    with opener.open(request, timeout=30) as answer:
        result = json.load(answer)
except OSError as error:
    sys.stderr.write(f"ssh: connect to host failed: {{error}}\\n")
    sys.exit(255)  # what ssh exits with when it cannot get in
sys.stderr.write(result["stderr"])
sys.exit(result["returncode"])
"""


class _NodeShellHandler(BaseHTTPRequestHandler):
    server: _NodeShellServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base signature
        """Quiet: the commands are kept on the shell."""

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        result = self.server.run(list(body["argv"]), base64.b64decode(body["stdin"]))
        payload = json.dumps({"returncode": result.returncode, "stderr": result.stderr}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class _NodeShellServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, simulator: ProxmoxSimulator) -> None:
        super().__init__(("127.0.0.1", 0), _NodeShellHandler)
        self.simulator = simulator
        self.shell = SimulatedNodeShell(simulator)

    def run(self, argv: list[str], stdin: bytes) -> CommandResult:
        """What sshd and the node do with one ssh command line: `USER@NODE -- COMMAND`, where the
        node must be one of the cluster's and the container must live on it (else `pct` fails)."""
        if "--" not in argv or argv.index("--") == 0:
            return CommandResult(255, "usage: ssh [options] destination -- command")
        destination = argv[argv.index("--") - 1]
        node = destination.rpartition("@")[2]
        with self.simulator.cluster.lock:
            known = node in self.simulator.cluster.nodes
            vmid = re.search(r"pct (?:exec|mount) (\d+)", argv[-1])
            guest = self.simulator.cluster.guests.get(int(vmid.group(1))) if vmid else None
        if not known:
            return CommandResult(255, f"ssh: Could not resolve hostname {node}")
        if guest is not None and guest.node != node:
            return CommandResult(2, f"Configuration file 'nodes/{node}/lxc/{guest.vmid}.conf'")
        return self.shell(argv, stdin, 30.0)


@contextlib.contextmanager
def node_shell_server(simulator: ProxmoxSimulator) -> Iterator[tuple[str, SimulatedNodeShell]]:
    """The URL the fake ssh posts to, and the shell that keeps the commands it ran."""
    server = _NodeShellServer(simulator)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/ssh", server.shell
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def write_fake_ssh(folder: Path, url: str) -> Path:
    program = folder / "ssh"
    program.write_text(FAKE_SSH.format(python=sys.executable, url=url))
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    return program


@attrs.frozen
class ProxmoxBackend:
    simulator: ProxmoxSimulator
    shell: SimulatedNodeShell  # the commands the nodes were sent over ssh
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
            "proxmox_ssh_program": str(write_fake_ssh(folder, url)),
        }
        settings = {f"HOSTPROVIDER_{key.upper()}": value for key, value in unprefixed.items()}
        yield ProxmoxBackend(simulator, shell, settings)
