"""ConsoleGateway on both hypervisors: the fake's consoles (onto the simulator's RFB screen) and the
Proxmox adapter's (on the PVE simulator) answer alike: a running guest's console, past the VNC
authentication the gateway does itself; a stopped guest is a Conflict, an unknown one NotFound,
a failing hypervisor ExternalFailure."""

from __future__ import annotations

import asyncio
import struct

import pytest

from adapters.memory.console import SimulatedConsoles
from adapters.proxmox.console import ProxmoxConsoles
from adapters.proxmox.hypervisor import ProxmoxHypervisor
from domain.model.errors import Conflict, ExternalFailure, NotFound
from ports.console import ConsoleGateway, ConsoleTarget
from simulators.proxmox.rfb import start_console

from .conftest import NODE, HypervisorRig


def gateway_of(rig: HypervisorRig) -> ConsoleGateway:
    if isinstance(rig.hv, ProxmoxHypervisor):
        return ProxmoxConsoles(rig.hv._client, rig.hv)
    return SimulatedConsoles(rig.hv, start_console)


def desktop_name(gateway: ConsoleGateway, vmid: int) -> str:
    """Open the console, send ClientInit, and read ServerInit's desktop name."""

    async def opened() -> str:
        stream = await gateway.connect(ConsoleTarget(NODE, vmid, "Debian 12"))
        try:
            await stream.write(b"\x01")
            data = b""
            while len(data) < 24 or len(data) < 24 + struct.unpack(">I", data[20:24])[0]:
                chunk = await stream.read()
                assert chunk, "the console closed"
                data += chunk
            return data[24 : 24 + struct.unpack(">I", data[20:24])[0]].decode()
        finally:
            await stream.close()

    return asyncio.run(opened())


def test_a_running_guests_console(hypervisor: HypervisorRig) -> None:
    hypervisor.running(100)
    name = desktop_name(gateway_of(hypervisor), 100)
    # The guest's own screen: its hostname, under its OS as the fake is told it (the catalogue's
    # name) or as the simulated PVE guest knows it (its ostemplate's).
    assert name in ("Debian 12 srv-100 tty1", "Ubuntu srv-100 tty1")


def test_no_console_of_a_stopped_or_unknown_guest(hypervisor: HypervisorRig) -> None:
    hypervisor.created(100)
    gateway = gateway_of(hypervisor)
    with pytest.raises(Conflict):
        desktop_name(gateway, 100)
    with pytest.raises(NotFound):
        desktop_name(gateway, 999)


def test_a_failing_hypervisor_is_an_external_failure(hypervisor: HypervisorRig) -> None:
    hypervisor.running(100)
    hypervisor.fail_next("console", message="vncproxy crashed")
    with pytest.raises(ExternalFailure):
        desktop_name(gateway_of(hypervisor), 100)
