"""The Proxmox console adapter on the PVE simulator: PVE's own steps (vncproxy with websocket=1,
then vncwebsocket with the port and ticket, then VNC authentication with the ticket), for a
container and a VM, schema-checked by the simulator; TLS as the API client trusts it."""

from __future__ import annotations

import asyncio
import struct

import attrs
import pytest

from adapters.memory import FakeClock
from adapters.proxmox.client import ProxmoxClient, build_session
from adapters.proxmox.config import ProxmoxConnection, ProxmoxSite
from adapters.proxmox.console import ProxmoxConsoles
from adapters.proxmox.hypervisor import ProxmoxHypervisor
from domain.model.errors import Conflict, ExternalFailure, NotFound
from ports.console import ConsoleStream, ConsoleTarget
from simulators.proxmox.simulator import ProxmoxSimulator

from .conftest import NODE, OnSimulator
from .test_tls import certificates  # noqa: F401 - the module's fixture


async def first_screen_name(stream: ConsoleStream) -> str:
    """Past the proxy's authentication: ClientInit, then the desktop name of ServerInit."""
    await stream.write(b"\x01")
    data = b""
    while len(data) < 24 or len(data) < 24 + struct.unpack(">I", data[20:24])[0]:
        chunk = await stream.read()
        assert chunk, "the console closed"
        data += chunk
    (length,) = struct.unpack(">I", data[20:24])
    return data[24 : 24 + length].decode()


def open_console(consoles: ProxmoxConsoles, vmid: int) -> str:
    async def opened() -> str:
        stream = await consoles.connect(ConsoleTarget(NODE, vmid, "ignored by PVE"))
        try:
            return await first_screen_name(stream)
        finally:
            await stream.close()

    return asyncio.run(opened())


@pytest.mark.parametrize(
    ("kind", "name"), [("lxc", "Linux srv-130 tty1"), ("qemu", "Linux srv-130 tty1")]
)
def test_a_console_in_pves_steps(pve: OnSimulator, kind: str, name: str) -> None:
    pve.simulator.seed_guest(NODE, 130, kind=kind, name="srv-130", status="running")
    consoles = ProxmoxConsoles(pve.hv._client, pve.hv)

    assert open_console(consoles, 130) == name

    steps = [r for r in pve.simulator.requests if "vnc" in r[1]]
    assert steps == [
        ("POST", f"/nodes/{NODE}/{kind}/130/vncproxy"),
        ("GET", f"/nodes/{NODE}/{kind}/130/vncwebsocket"),
    ]
    with pve.simulator.cluster.lock:
        session = pve.simulator.cluster.consoles.sessions[-1]
    assert session.websocket and session.user == pve.simulator.token_id


def test_a_stopped_or_missing_guest_has_no_console(pve: OnSimulator) -> None:
    pve.simulator.seed_guest(NODE, 131, kind="lxc", name="srv-131", status="stopped")
    consoles = ProxmoxConsoles(pve.hv._client, pve.hv)
    with pytest.raises(Conflict):
        open_console(consoles, 131)
    with pytest.raises(NotFound):
        open_console(consoles, 4242)
    assert not [r for r in pve.simulator.requests if "vnc" in r[1]]


def pin_of(certificate) -> str:  # type: ignore[no-untyped-def]
    return str(certificate.fingerprint)


def test_the_websocket_trusts_the_pinned_certificate_only(certificates) -> None:  # noqa: F811
    node, other = certificates
    clock = FakeClock()
    with ProxmoxSimulator(clock, tls_cert=str(node.cert_file), tls_key=str(node.key_file)) as sim:
        sim.add_node(NODE, cores=8, memory_mib=16384, disk_gib=200)
        sim.seed_guest(NODE, 140, kind="lxc", name="srv-140", status="running")
        right = ProxmoxConnection(
            sim.url, sim.token_id, sim.token_secret, fingerprint_sha256=pin_of(node)
        )
        sites = {1: ProxmoxSite((NODE,), "local-lvm", "vmbr0")}
        hypervisor = ProxmoxHypervisor(
            ProxmoxClient(right), sites, clock=clock, sleep=clock.advance
        )
        assert open_console(ProxmoxConsoles(ProxmoxClient(right), hypervisor), 140).endswith("tty1")
        # The API's requests go through a session that trusts the node; the websocket must check
        # the pin itself, and refuses a node whose certificate is not the pinned one.
        wrong = attrs.evolve(right, fingerprint_sha256=pin_of(other))
        confused = ProxmoxClient(wrong, session=build_session(right))
        with pytest.raises(ExternalFailure, match="pinned fingerprint"):
            open_console(ProxmoxConsoles(confused, hypervisor), 140)
        assert sim.violations == []
