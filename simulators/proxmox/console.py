"""Consoles as PVE 8.4 hands them out: `vncproxy` (and `termproxy`) issue a VNC ticket and a port
on the node; `vncwebsocket` checks the ticket and, on a websocket upgrade, relays binary frames to
the guest's VNC server (here simulators/proxmox/rfb.py).

Rules kept from PVE:
- the ticket is bound to the user that asked for it and to the guest (`/vms/<vmid>`): another
  token, another guest or a made-up ticket is "permission denied - invalid vnc ticket" (401);
- a port (5900..5999 per node) serves one connection, and waits 10 s for it; then it is free;
- the VNC password is the ticket itself, or the 8-character `password` of `generate-password=1`;
- the guest's VNC server goes away when the guest stops or is destroyed, closing the console.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import secrets
import select
import socket
import ssl
from typing import TYPE_CHECKING, Any

import attrs

from simulators.proxmox.model import Guest, PveError
from simulators.proxmox.rfb import start_console

if TYPE_CHECKING:
    from http.server import BaseHTTPRequestHandler

    from simulators.proxmox.call import Call

FIRST_PORT, LAST_PORT = 5900, 5999
CONNECT_WINDOW = dt.timedelta(seconds=10)  # vncproxy's listener waits this long for a viewer
WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_LXC_OS = {"ubuntu": "Ubuntu", "debian": "Debian GNU/Linux", "centos": "CentOS Stream"}


@attrs.define
class IssuedConsole:
    node: str
    port: int
    vmid: int
    user: str
    ticket: str
    password: str
    websocket: bool
    issued_at: dt.datetime
    connected: bool = False
    closed: bool = False


@attrs.frozen
class ConsoleUpgrade:
    """vncwebsocket's answer: the port as data, and the console a websocket upgrade attaches to."""

    data: dict[str, Any]
    console: IssuedConsole
    guest: Guest


class Consoles:
    """The consoles issued on every node (kept by the cluster, under its lock)."""

    def __init__(self) -> None:
        self.issued: dict[tuple[str, int], IssuedConsole] = {}
        self.sessions: list[IssuedConsole] = []  # every console that was connected, for tests

    def issue(self, call: Call, guest: Guest, *, generate_password: bool) -> IssuedConsole:
        now = call.cluster.now()
        self._expire(now)
        port = next(
            (p for p in range(FIRST_PORT, LAST_PORT + 1) if (call.node, p) not in self.issued),
            None,
        )
        if port is None:
            raise PveError(500, f"unable to find free port ({FIRST_PORT}-{LAST_PORT})")
        signature = base64.b64encode(secrets.token_bytes(48)).decode()
        ticket = f"PVEVNC:{int(now.timestamp()):08X}::{signature}"
        console = IssuedConsole(
            node=call.node,
            port=port,
            vmid=guest.vmid,
            user=call.user,
            ticket=ticket,
            password=secrets.token_hex(4) if generate_password else ticket,
            websocket=call.flag("websocket"),
            issued_at=now,
        )
        self.issued[(call.node, port)] = console
        return console

    def attach(self, call: Call, guest: Guest) -> IssuedConsole:
        """vncwebsocket's check: the ticket of this port, for this user and guest, in time."""
        port, ticket = int(call.params["port"]), call.params["vncticket"]  # schema-checked
        self._expire(call.cluster.now())
        console = self.issued.get((call.node, port))
        valid = (
            console is not None
            and not console.connected
            and console.vmid == guest.vmid
            and console.user == call.user
            and secrets.compare_digest(console.ticket, ticket)
        )
        if console is None or not valid:
            raise PveError(401, "permission denied - invalid vnc ticket")
        console.connected = True  # the listener takes one connection
        self.sessions.append(console)
        return console

    def release(self, console: IssuedConsole) -> None:
        console.closed = True
        self.issued.pop((console.node, console.port), None)

    def _expire(self, now: dt.datetime) -> None:
        for key, console in list(self.issued.items()):
            if not console.connected and now - console.issued_at > CONNECT_WINDOW:
                del self.issued[key]


def os_name(guest: Guest) -> str:
    ostype = guest.config.get("ostype", "")
    if guest.kind == "lxc":
        return _LXC_OS.get(ostype, ostype.capitalize() or "Linux")
    return "Windows" if ostype.startswith("win") else "Linux"


# --- the websocket side --------------------------------------------------------------------------
def relay_websocket(handler: BaseHTTPRequestHandler, upgrade: ConsoleUpgrade, cluster: Any) -> None:
    """Answer the upgrade (101, subprotocol `binary` when offered, as pveproxy does), then relay
    binary frames to the guest's VNC server and back until either side closes or the guest
    stops."""
    key = handler.headers.get("Sec-WebSocket-Key", "")
    accept = base64.b64encode(hashlib.sha1((key + WEBSOCKET_GUID).encode()).digest()).decode()
    handler.send_response(101, "Switching Protocols")
    handler.send_header("Upgrade", "websocket")
    handler.send_header("Connection", "Upgrade")
    handler.send_header("Sec-WebSocket-Accept", accept)
    offered = [p.strip() for p in (handler.headers.get("Sec-WebSocket-Protocol") or "").split(",")]
    if "binary" in offered:
        handler.send_header("Sec-WebSocket-Protocol", "binary")
    handler.end_headers()
    handler.wfile.flush()
    handler.close_connection = True

    viewer = handler.connection
    viewer.settimeout(None)
    guest_side, vnc_side = socket.socketpair()
    console, guest = upgrade.console, upgrade.guest
    start_console(vnc_side, password=console.password, hostname=guest.name, os_name=os_name(guest))
    try:
        _relay(viewer, guest_side, guest, console, cluster)
    except Exception:  # noqa: BLE001, S110 - a broken frame or socket ends the console
        pass
    finally:
        with cluster.lock:
            cluster.consoles.release(console)
        _shut(guest_side)
        _shut(viewer, close=False)  # the HTTP server closes its own connection


def _relay(
    viewer: socket.socket,
    guest_side: socket.socket,
    guest: Guest,
    console: IssuedConsole,
    cluster: Any,
) -> None:
    """One thread, both directions: a TLS socket must not be read and written from two threads
    at once. Every turn also looks whether the guest is still there and running."""
    from wsproto.connection import Connection, ConnectionType
    from wsproto.events import BytesMessage, CloseConnection, Ping, TextMessage

    websocket = Connection(ConnectionType.SERVER)
    while True:
        pending = isinstance(viewer, ssl.SSLSocket) and viewer.pending() > 0
        readable = [viewer] if pending else select.select([viewer, guest_side], [], [], 0.2)[0]
        if guest_side in readable:
            data = guest_side.recv(65536)
            if not data:
                break
            viewer.sendall(websocket.send(BytesMessage(data)))
        if viewer in readable:
            data = viewer.recv(65536)
            if not data:
                return
            websocket.receive_data(data)
            for event in websocket.events():
                if isinstance(event, BytesMessage | TextMessage):
                    payload = event.data
                    guest_side.sendall(
                        payload.encode() if isinstance(payload, str) else bytes(payload)
                    )
                elif isinstance(event, Ping):
                    viewer.sendall(websocket.send(event.response()))
                elif isinstance(event, CloseConnection):
                    return
        with cluster.lock:
            gone = cluster.guests.get(guest.vmid) is not guest
            if gone or guest.status != "running" or console.closed:
                break
    viewer.sendall(websocket.send(CloseConnection(code=1000)))


def _shut(sock: socket.socket, *, close: bool = True) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    if close:
        sock.close()
