"""The viewer's side of RFB's first steps (RFC 6143 7.1-7.2), which the console proxy takes on the
customer's behalf: version 3.8, then VNC authentication with the password the hypervisor gave
(PVE's VNC ticket, or the password of `generate-password`). What follows is relayed untouched.

Also the byte stream both console adapters hand out: asyncio streams below, and what the
handshake read past its last message kept for the first `read`.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections.abc import Awaitable, Callable

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, modes

from domain.model.errors import ExternalFailure

VERSION = b"RFB 003.008\n"
NO_AUTH, VNC_AUTH = 1, 2
CLOSE_WAIT = 2.0  # seconds a closing connection may take to say goodbye (TLS close_notify)


def vnc_auth_response(password: str, challenge: bytes) -> bytes:
    """The challenge DES-encrypted with the password's first eight bytes, each bit-reversed."""
    key = bytes(int(f"{b:08b}"[::-1], 2) for b in password.encode()[:8].ljust(8, b"\0"))
    encryptor = Cipher(TripleDES(key * 3), modes.ECB()).encryptor()  # noqa: S305 - single DES
    return encryptor.update(challenge) + encryptor.finalize()


class Reader:
    """Exact reads over a chunked source; what was read past the last one stays in `rest`."""

    def __init__(self, chunk: Callable[[], Awaitable[bytes]]) -> None:
        self._chunk = chunk
        self.rest = b""

    async def exactly(self, count: int) -> bytes:
        while len(self.rest) < count:
            data = await self._chunk()
            if not data:
                raise ExternalFailure("the console closed during its handshake")
            self.rest += data
        data, self.rest = self.rest[:count], self.rest[count:]
        return data


async def authenticate(
    reader: Reader, write: Callable[[bytes], Awaitable[None]], password: str
) -> None:
    """Version and VNC authentication as a viewer; ExternalFailure if the server refuses."""
    version = await reader.exactly(12)
    if not version.startswith(b"RFB 003."):
        raise ExternalFailure(f"the console does not speak RFB ({version!r})")
    await write(VERSION)
    (count,) = await reader.exactly(1)
    if count == 0:
        (length,) = struct.unpack(">I", await reader.exactly(4))
        reason = (await reader.exactly(length)).decode("utf-8", "replace")
        raise ExternalFailure(f"the console refused the connection: {reason}")
    types = await reader.exactly(count)
    if VNC_AUTH in types:
        await write(bytes([VNC_AUTH]))
        await write(vnc_auth_response(password, await reader.exactly(16)))
    elif NO_AUTH in types:
        await write(bytes([NO_AUTH]))
    else:
        raise ExternalFailure(f"the console offers no security type we speak ({list(types)})")
    (result,) = struct.unpack(">I", await reader.exactly(4))
    if result != 0:
        raise ExternalFailure("the console refused its ticket")


class SocketStream:
    """A ConsoleStream over an asyncio connection."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader, self._writer = reader, writer
        self.handshake = Reader(self._chunk)

    async def _chunk(self) -> bytes:
        return await self._reader.read(65536)

    async def read(self) -> bytes:
        if self.handshake.rest:
            data, self.handshake.rest = self.handshake.rest, b""
            return data
        return await self._chunk()

    async def write(self, data: bytes) -> None:
        self._writer.write(data)
        await self._writer.drain()

    async def close(self) -> None:
        self._writer.close()
        with contextlib.suppress(ConnectionError, OSError, TimeoutError):
            await asyncio.wait_for(self._writer.wait_closed(), CLOSE_WAIT)
