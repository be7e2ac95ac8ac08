"""The nodes' side of SSH, as far as the back office uses it.

PVE has no API for an LXC container's root password, so the adapter runs `pct exec`/`pct mount` +
`chpasswd` on the node over ssh. Here a node "runs" such a command against the simulated cluster,
an HTTP endpoint takes the commands of other processes, and `write_ssh_shim` writes a program that
stands in for `ssh` and posts its command line there (HOSTPROVIDER_PROXMOX_SSH_PROGRAM).
"""

from __future__ import annotations

import base64
import json
import re
import shlex
import stat
import threading
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulators.proxmox.simulator import ProxmoxSimulator

_PCT = re.compile(r"pct (?:exec|mount) (\d+)")


class NodeShell:
    """Runs the remote half of an ssh command line on the simulated node it names. Answers
    `(returncode, stderr)`, as ssh passes them back; `commands` keeps every remote command."""

    def __init__(self, simulator: ProxmoxSimulator) -> None:
        self._simulator = simulator
        self.commands: list[str] = []

    def run_remote(self, remote: str, stdin: bytes) -> tuple[int, str]:
        """The node's side: `pct exec|mount VMID ... chpasswd` changes the container's password."""
        self.commands.append(remote)
        found = _PCT.match(remote)
        if found is None:
            return 127, f"unexpected command: {shlex.split(remote)[:2]}"
        cluster = self._simulator.cluster
        with cluster.lock:
            guest = cluster.guests.get(int(found.group(1)))
            if guest is None:
                return 2, f"Configuration file for CT {found.group(1)} missing"
            if remote.endswith("chpasswd") or "chpasswd;" in remote:
                user, _, password = stdin.decode().rstrip("\n").partition(":")
                guest.passwords[user] = password
        return 0, ""

    def run_ssh(self, argv: Sequence[str], stdin: bytes) -> tuple[int, str]:
        """What sshd and the node do with `ssh [options] USER@NODE -- COMMAND`: the node must be
        one of the cluster's, and a container must live on it (else `pct` fails)."""
        if "--" not in argv or list(argv).index("--") == 0:
            return 255, "usage: ssh [options] destination -- command"
        destination = argv[list(argv).index("--") - 1]
        node = destination.rpartition("@")[2]
        cluster = self._simulator.cluster
        with cluster.lock:
            known = node in cluster.nodes
            vmid = _PCT.search(argv[-1])
            guest = cluster.guests.get(int(vmid.group(1))) if vmid else None
        if not known:
            return 255, f"ssh: Could not resolve hostname {node}"
        if guest is not None and guest.node != node:
            return 2, f"Configuration file 'nodes/{node}/lxc/{guest.vmid}.conf'"
        return self.run_remote(argv[-1], stdin)


class _Handler(BaseHTTPRequestHandler):
    server: NodeShellServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base signature
        """Quiet: the shell keeps the commands."""

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        stdin = base64.b64decode(body["stdin"])
        code, stderr = self.server.shell.run_ssh(list(body["argv"]), stdin)
        payload = json.dumps({"returncode": code, "stderr": stderr}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class NodeShellServer(ThreadingHTTPServer):
    """Takes the ssh shim's posts: `{"argv", "stdin" (base64)}` -> `{"returncode", "stderr"}`."""

    daemon_threads = True

    def __init__(self, simulator: ProxmoxSimulator, address: tuple[str, int] = ("127.0.0.1", 0)):
        super().__init__(address, _Handler)
        self.shell = NodeShell(simulator)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/ssh"

    def start(self) -> NodeShellServer:
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        if self._thread is not None:
            self._thread.join(5)


SSH_SHIM = """#!{python}
\"\"\"ssh, as far as the back office uses it: the node's side of the command is played by the
Proxmox simulator, reached over its node shell endpoint.\"\"\"
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


def write_ssh_shim(folder: Path, url: str, python: str) -> Path:
    program = folder / "ssh"
    program.write_text(SSH_SHIM.format(python=python, url=url))
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    return program
