"""Which console gateway a process uses: Proxmox's (with the API client's connection settings),
or in the sandbox the fake hypervisor's tickets onto the simulator's RFB screen."""

from __future__ import annotations

from typing import Any

from entrypoints.config import RemoteApi, Settings
from ports.console import ConsoleGateway
from ports.hypervisor import Hypervisor


def proxmox_connection(api: RemoteApi) -> Any:
    from adapters.proxmox.config import ProxmoxConnection

    return ProxmoxConnection(
        api.url,
        api.user,
        api.secret,
        ca_file=api.ca_file,
        fingerprint_sha256=api.fingerprint_sha256,
    )


def console_gateway(settings: Settings, hypervisor: Hypervisor) -> ConsoleGateway:
    if settings.proxmox is not None:
        from adapters.proxmox.client import ProxmoxClient
        from adapters.proxmox.console import ProxmoxConsoles

        return ProxmoxConsoles(ProxmoxClient(proxmox_connection(settings.proxmox)), hypervisor)
    from adapters.memory.console import SimulatedConsoles
    from simulators.proxmox.rfb import start_console

    return SimulatedConsoles(hypervisor, start_console)
