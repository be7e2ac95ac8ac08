"""Consoles on Proxmox VE, in PVE's own steps (what its noVNC page does, done server-side):

1. `POST /nodes/{node}/{lxc|qemu}/{vmid}/vncproxy` with `websocket=1`: a port and a VNC ticket,
   made for our API token's user;
2. `GET .../vncwebsocket?port=&vncticket=` upgraded to a websocket (subprotocol `binary`), with
   the same token: pveproxy checks the ticket against the token's user and relays to the port;
3. RFB with the ticket as the VNC password (adapters/rfb.py).

The customer's browser never sees the ticket or the token: the proxy relays what follows.
TLS is the API client's: the cluster CA file, the pinned node certificate, or the system store.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import ssl
from urllib.parse import urlencode, urlsplit

from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Ping,
    RejectConnection,
    Request,
    TextMessage,
)

from adapters.proxmox.client import ProxmoxClient, api_path
from adapters.proxmox.config import ProxmoxConnection
from adapters.rfb import CLOSE_WAIT, Reader, authenticate
from domain.model.errors import Conflict, ExternalFailure, NotFound, Unavailable
from ports.console import ConsoleStream, ConsoleTarget
from ports.hypervisor import Hypervisor


class ProxmoxConsoles:
    def __init__(self, client: ProxmoxClient, hypervisor: Hypervisor) -> None:
        self._client = client
        self._hypervisor = hypervisor

    async def connect(self, target: ConsoleTarget) -> ConsoleStream:
        guest_path, proxy = await asyncio.to_thread(self._vncproxy, target)
        query = urlencode({"port": proxy["port"], "vncticket": proxy["ticket"]})
        stream = await PveWebsocket.open(
            self._client.connection, f"/api2/json{guest_path}/vncwebsocket?{query}"
        )
        try:
            await authenticate(stream.handshake, stream.write, str(proxy["ticket"]))
        except BaseException:
            await stream.close()
            raise
        return stream

    def _vncproxy(self, target: ConsoleTarget) -> tuple[str, dict[str, object]]:
        guest = self._hypervisor.find_guest(target.vmid)
        if guest is None or guest.node != target.node:
            raise NotFound("guest", target.vmid)
        if guest.status != "running":
            raise Conflict(f"guest {target.vmid} is not running", vmid=target.vmid)
        guest_path = api_path("nodes", target.node, guest.kind.value, target.vmid)
        proxy = self._client.post(f"{guest_path}/vncproxy", websocket=True)
        if not isinstance(proxy, dict) or "port" not in proxy or "ticket" not in proxy:
            raise ExternalFailure("proxmox answered vncproxy without a port and ticket")
        return guest_path, proxy


def tls_context(connection: ProxmoxConnection) -> ssl.SSLContext:
    """As the API client trusts: a pinned certificate (checked after the handshake), the
    cluster's CA file, or the system store."""
    if connection.fingerprint_sha256:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # the pin replaces the chain: see PveWebsocket.open
        return context
    return ssl.create_default_context(cafile=connection.ca_file)


class PveWebsocket:
    """A websocket to pveproxy as a ConsoleStream: binary frames in and out."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader, self._writer = reader, writer
        self._ws = WSConnection(ConnectionType.CLIENT)
        self._messages: list[bytes] = []
        self._closed = False
        self.handshake = Reader(self._next_message)

    @classmethod
    async def open(cls, connection: ProxmoxConnection, target: str) -> PveWebsocket:
        url = urlsplit(connection.url)
        secure = url.scheme == "https"
        port = url.port or (443 if secure else 80)
        context = tls_context(connection) if secure else None
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(url.hostname, port, ssl=context),
                connection.connect_timeout,
            )
        except (OSError, TimeoutError) as ex:
            raise Unavailable(f"proxmox is unreachable for the console: {ex}") from None
        stream = cls(reader, writer)
        try:
            stream._check_pin(connection)
            await asyncio.wait_for(stream._upgrade(connection, target), connection.read_timeout)
        except BaseException:
            await stream.close()
            raise
        return stream

    def _check_pin(self, connection: ProxmoxConnection) -> None:
        pinned = (connection.fingerprint_sha256 or "").replace(":", "").strip().lower()
        if not pinned:
            return
        tls = self._writer.get_extra_info("ssl_object")
        der = tls.getpeercert(binary_form=True) if tls is not None else None
        if der is None or hashlib.sha256(der).hexdigest() != pinned:
            raise ExternalFailure("the proxmox certificate does not match the pinned fingerprint")

    async def _upgrade(self, connection: ProxmoxConnection, target: str) -> None:
        host = urlsplit(connection.url).netloc
        token = f"PVEAPIToken={connection.token_id}={connection.token_secret}"
        request = Request(
            host=host,
            target=target,
            subprotocols=["binary"],
            extra_headers=[(b"authorization", token.encode())],
        )
        self._writer.write(self._ws.send(request))
        await self._writer.drain()
        while True:
            data = await self._reader.read(65536)
            if not data:
                raise ExternalFailure("proxmox closed the console connection during its upgrade")
            self._ws.receive_data(data)
            accepted = False
            for event in self._ws.events():  # all of them: frames may follow in the same read
                if isinstance(event, AcceptConnection):
                    accepted = True
                elif isinstance(event, RejectConnection):
                    raise ExternalFailure(
                        f"proxmox refused the console websocket ({event.status_code})",
                        status=event.status_code,
                    )
                else:
                    self._take(event)
            if accepted:
                return

    def _take(self, event: object) -> None:
        if isinstance(event, BytesMessage):
            self._messages.append(bytes(event.data))
        elif isinstance(event, TextMessage):
            self._messages.append(event.data.encode())
        elif isinstance(event, Ping):
            self._writer.write(self._ws.send(event.response()))
        elif isinstance(event, CloseConnection):
            self._closed = True

    async def _next_message(self) -> bytes:
        while not self._messages:
            if self._closed:
                return b""
            data = await self._reader.read(65536)
            if not data:
                self._closed = True
                return b""
            self._ws.receive_data(data)
            for event in self._ws.events():
                self._take(event)
        return self._messages.pop(0)

    async def read(self) -> bytes:
        if self.handshake.rest:
            data, self.handshake.rest = self.handshake.rest, b""
            return data
        return await self._next_message()

    async def write(self, data: bytes) -> None:
        self._writer.write(self._ws.send(BytesMessage(data=data)))
        await self._writer.drain()

    async def close(self) -> None:
        try:
            if not self._closed:
                self._writer.write(self._ws.send(CloseConnection(code=1000)))
        except Exception:  # noqa: BLE001 - a connection in any state may be closed
            pass
        self._writer.close()
        with contextlib.suppress(ConnectionError, OSError, ssl.SSLError, TimeoutError):
            await asyncio.wait_for(self._writer.wait_closed(), CLOSE_WAIT)
