"""A minimal RFB viewer for tests: enough of RFC 6143 to authenticate, read the screen as text rows
of pixels, and type. It reads from any byte stream given as `recv(n)` / `send(data)` callables."""

from __future__ import annotations

import array
import struct
from collections.abc import Callable

from simulators.proxmox.rfb import (
    BACKGROUND,
    CELL_HEIGHT,
    FOREGROUND,
    ROWS,
    PixelFormat,
    TextScreen,
    vnc_auth_response,
)


class RfbViewer:
    def __init__(self, recv: Callable[[int], bytes], send: Callable[[bytes], None]) -> None:
        self._recv, self.send = recv, send
        self.buffer = b""
        self.width = self.height = 0
        self.name = ""
        self.rows: dict[int, bytes] = {}

    def read(self, count: int) -> bytes:
        while len(self.buffer) < count:
            chunk = self._recv(65536)
            if not chunk:
                raise ConnectionError("the server closed the connection")
            self.buffer += chunk
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def security_types(self) -> list[int]:
        assert self.read(12) == b"RFB 003.008\n"
        self.send(b"RFB 003.008\n")
        (count,) = self.read(1)
        return list(self.read(count))

    def vnc_auth(self, password: str) -> int:
        self.send(bytes([2]))
        self.send(vnc_auth_response(password, self.read(16)))
        (result,) = struct.unpack(">I", self.read(4))
        return result

    def no_auth(self) -> int:
        self.send(bytes([1]))
        (result,) = struct.unpack(">I", self.read(4))
        return result

    def init(self) -> None:
        self.send(b"\x01")
        self.width, self.height = struct.unpack(">HH", self.read(4))
        self.read(16)
        (length,) = struct.unpack(">I", self.read(4))
        self.name = self.read(length).decode()

    def request(self, incremental: bool = False) -> None:
        self.send(struct.pack(">BBHHHH", 3, int(incremental), 0, 0, self.width, self.height))

    def update(self) -> int:
        """Read one FramebufferUpdate (Raw, whole text rows); answer how many rectangles."""
        kind, count = struct.unpack(">BxH", self.read(4))
        assert kind == 0
        for _ in range(count):
            x, y, w, h, encoding = struct.unpack(">HHHHi", self.read(12))
            assert encoding == 0 and x == 0 and h == CELL_HEIGHT
            self.rows[y // CELL_HEIGHT] = self.read(w * h * 4)
        return count

    def key(self, keysym: int) -> None:
        self.send(struct.pack(">BBxxI", 4, 1, keysym) + struct.pack(">BBxxI", 4, 0, keysym))

    def type(self, text: str) -> None:
        for char in text:
            self.key(ord(char))

    def shows(self, row: int, text: str) -> bool:
        """Whether screen row `row` is exactly `text`, as the server draws it."""
        fmt = PixelFormat()
        screen = TextScreen("", "")
        screen.lines = [""] * ROWS
        screen.lines[row] = text
        expected = screen.row_pixels(row, fmt.encode(FOREGROUND), fmt.encode(BACKGROUND))
        return self.rows.get(row) == expected

    def lit_pixels(self) -> int:
        black = struct.unpack("=I", PixelFormat().encode(BACKGROUND))[0]
        pixels = array.array("I", b"".join(self.rows.values()))
        return len(pixels) - pixels.count(black)
