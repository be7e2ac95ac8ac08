"""The console's websocket: `/console/<link>/websocket`, RFB between the page and the guest.

1. The link is opened (domain/usecases/console.py: once, in its minute, by address throttled).
   Refusals answer the upgrade with an HTTP status (404 unknown/spent/lapsed, 409 not running,
   429 throttled, 502/503 the hypervisor failing) where the server can, else close it (403).
2. The hypervisor's console is opened and authenticated with its ticket (ports/console.py), so
   the page sees RFB 3.8 with security type None: no ticket or credential ever reaches it.
3. Bytes are relayed unchanged both ways until either side closes, nothing came from the page
   for the idle timeout, or the server is no longer the customer's and running (asked again
   every `recheck_seconds`). The link records why, for the page to tell.
"""

from __future__ import annotations

import asyncio
import logging
import struct
from typing import Any

from adapters.rfb import NO_AUTH, VERSION, Reader
from domain.model.console import ConsoleEnd
from domain.model.errors import Conflict, DomainError, LinkNotFound, NotFound, Throttled
from domain.usecases.console import console_allowed, end_console, start_console
from domain.usecases.runtime import Runtime
from ports.console import ConsoleGateway, ConsoleStream, ConsoleTarget

log = logging.getLogger("hostprovider.console")

# Close codes the page may see (4000-4999 are the application's own).
CLOSE_CODES = {ConsoleEnd.CLOSED: 1000, ConsoleEnd.IDLE: 4001, ConsoleEnd.STOPPED: 4002}


def refusal_status(error: DomainError) -> int:
    if isinstance(error, Throttled):
        return 429
    if isinstance(error, LinkNotFound | NotFound):
        return 404
    if isinstance(error, Conflict):
        return 409
    return 503 if error.code in ("unavailable", "capacity_exhausted") else 502


class ViewerSocket:
    """The page's websocket, over ASGI."""

    def __init__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        self.scope, self._receive, self._send = scope, receive, send
        self.closed = False

    async def connected(self) -> bool:
        """Wait for the upgrade request; False if the client left first."""
        return (await self._receive())["type"] == "websocket.connect"

    def offered(self, subprotocol: str) -> bool:
        return subprotocol in self.scope.get("subprotocols", [])

    async def accept(self) -> None:
        message: dict[str, Any] = {"type": "websocket.accept"}
        if self.offered("binary"):
            message["subprotocol"] = "binary"
        await self._send(message)

    async def deny(self, status: int, text: str) -> None:
        """Refuse the upgrade: an HTTP answer where the server supports it, else close (403)."""
        if "websocket.http.response" in self.scope.get("extensions", {}):
            body = text.encode()
            headers = [(b"content-type", b"text/plain; charset=utf-8")]
            await self._send(
                {"type": "websocket.http.response.start", "status": status, "headers": headers}
            )
            await self._send({"type": "websocket.http.response.body", "body": body})
        else:
            await self._send({"type": "websocket.close", "code": 4000 + status})
        self.closed = True

    async def receive(self) -> bytes:
        """The next bytes from the page; b"" once it left."""
        while True:
            message = await self._receive()
            if message["type"] == "websocket.disconnect":
                self.closed = True
                return b""
            if message["type"] == "websocket.receive":
                data = message.get("bytes") or (message.get("text") or "").encode()
                if data:
                    return bytes(data)

    async def send(self, data: bytes) -> None:
        await self._send({"type": "websocket.send", "bytes": data})

    async def close(self, code: int, reason: str) -> None:
        if not self.closed:
            self.closed = True
            await self._send({"type": "websocket.close", "code": code, "reason": reason})


class ConsoleProxy:
    def __init__(
        self,
        runtime: Runtime,
        gateway: ConsoleGateway,
        *,
        idle_seconds: float,
        recheck_seconds: float = 5.0,
    ) -> None:
        self.runtime, self.gateway = runtime, gateway
        self.idle_seconds, self.recheck_seconds = idle_seconds, recheck_seconds
        self.sessions = 0  # open right now, for tests and benches

    async def serve(self, viewer: ViewerSocket, secret: str, client: str) -> None:
        if not await viewer.connected():
            return
        try:
            grant = await asyncio.to_thread(start_console, self.runtime, secret, client)
        except DomainError as refused:
            log.info("a console link was refused to %s: %s", client, refused.code)
            await viewer.deny(refusal_status(refused), refused.message)
            return
        target = ConsoleTarget(grant.node, grant.vmid, grant.os_name)
        try:
            stream = await self.gateway.connect(target)
        except DomainError as failed:
            log.warning("console of server %s could not open: %s", grant.server_id, failed.message)
            await asyncio.to_thread(end_console, self.runtime, grant, ConsoleEnd.CLOSED)
            await viewer.deny(refusal_status(failed), "the console could not be opened")
            return
        self.sessions += 1
        reason = ConsoleEnd.CLOSED
        try:
            await viewer.accept()
            pending = await self._greet(viewer)
            if pending is not None:
                if pending:
                    await stream.write(pending)
                reason = await self._relay(viewer, stream, grant)
        except (ConnectionError, OSError, DomainError):
            reason = ConsoleEnd.CLOSED
        finally:
            self.sessions -= 1
            await viewer.close(CLOSE_CODES[reason], reason.value)
            await asyncio.to_thread(end_console, self.runtime, grant, reason)
            await stream.close()

    async def _greet(self, viewer: ViewerSocket) -> bytes | None:
        """RFB's first steps with the page, security type None (the proxy authenticated to the
        guest already); what the page sent past them (ClientInit), or None if it left."""
        reader = Reader(viewer.receive)
        try:
            await viewer.send(VERSION)
            version = await reader.exactly(12)
            if not version.startswith(b"RFB 003."):
                return None
            await viewer.send(bytes([1, NO_AUTH]))
            if await reader.exactly(1) != bytes([NO_AUTH]):
                return None
            await viewer.send(struct.pack(">I", 0))
        except DomainError:  # the page left during the handshake
            return None
        return reader.rest

    async def _relay(self, viewer: ViewerSocket, stream: ConsoleStream, grant: Any) -> ConsoleEnd:
        async def page_to_guest() -> ConsoleEnd:
            while True:
                try:
                    data = await asyncio.wait_for(viewer.receive(), self.idle_seconds)
                except TimeoutError:
                    return ConsoleEnd.IDLE
                if not data:
                    return ConsoleEnd.CLOSED
                await stream.write(data)

        async def guest_to_page() -> ConsoleEnd:
            while data := await stream.read():
                await viewer.send(data)
            return ConsoleEnd.CLOSED

        async def watch() -> ConsoleEnd:
            while True:
                await asyncio.sleep(self.recheck_seconds)
                if not await asyncio.to_thread(console_allowed, self.runtime, grant):
                    return ConsoleEnd.STOPPED

        tasks = [asyncio.create_task(job()) for job in (page_to_guest, guest_to_page, watch)]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        first = next(iter(done))
        reason = first.result() if first.exception() is None else ConsoleEnd.CLOSED
        # The guest's side went away: most often because the server stopped.
        guest_left = reason is ConsoleEnd.CLOSED and not viewer.closed
        if guest_left and not await asyncio.to_thread(console_allowed, self.runtime, grant):
            return ConsoleEnd.STOPPED
        return reason
