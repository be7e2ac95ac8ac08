"""The sandbox's consoles: the fake hypervisor's ticket opens a simulated guest screen.

The screen is an RFB server handed in by the composition root (simulators/proxmox/rfb.py, a
peer this package may not import), served on one end of a socket pair; the proxy gets the other
end after authenticating with the ticket as the VNC password, as on Proxmox.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Protocol

from adapters.rfb import SocketStream, authenticate
from domain.model.errors import NotFound
from ports.console import ConsoleStream, ConsoleTarget
from ports.hypervisor import ConsoleTicket, GuestInfo, Hypervisor


class ScreenServer(Protocol):
    def __call__(
        self, sock: socket.socket, *, password: str, hostname: str, os_name: str
    ) -> object:
        """Serve one viewer on `sock` in the background."""
        ...


class SimulatedConsoles:
    def __init__(self, hypervisor: Hypervisor, start_screen: ScreenServer) -> None:
        self._hypervisor = hypervisor
        self._start_screen = start_screen

    async def connect(self, target: ConsoleTarget) -> ConsoleStream:
        guest, ticket = await asyncio.to_thread(self._ticket, target)
        ours, theirs = socket.socketpair()
        self._start_screen(
            theirs, password=ticket.ticket, hostname=guest.name, os_name=target.os_name
        )
        reader, writer = await asyncio.open_connection(sock=ours)
        stream = SocketStream(reader, writer)
        try:
            await authenticate(stream.handshake, stream.write, ticket.ticket)
        except BaseException:
            await stream.close()
            raise
        return stream

    def _ticket(self, target: ConsoleTarget) -> tuple[GuestInfo, ConsoleTicket]:
        guest = self._hypervisor.find_guest(target.vmid)
        if guest is None or guest.node != target.node:
            raise NotFound("guest", target.vmid)
        return guest, self._hypervisor.console(target.node, target.vmid)
