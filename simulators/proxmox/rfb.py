"""A small RFB (VNC) server: the simulated guest's console, a text screen of 80 x 24 cells.

It speaks RFB 3.8 (RFC 6143) as QEMU's VNC server and `vncterm` do behind PVE's `vncproxy` with
`websocket=1`: the one security type is VNC authentication (2), whose password is the VNC ticket
(DES, so its first eight bytes count); then ServerInit and Raw framebuffer updates of the screen.
Keys typed are echoed after the login prompt, pasted text (ClientCutText) too, and Ctrl-Alt-Del
writes the line a guest's init would. Blocking sockets: one thread per console, like the rest of
the simulator.
"""

from __future__ import annotations

import functools
import os
import socket
import struct
import threading

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, modes

from simulators.proxmox.rfb_font import HEIGHT as GLYPH_HEIGHT
from simulators.proxmox.rfb_font import WIDTH as GLYPH_WIDTH
from simulators.proxmox.rfb_font import glyph

COLUMNS, ROWS = 80, 24
SCALE = 2  # glyph pixels are drawn 2 x 2
CELL_WIDTH, CELL_HEIGHT = (GLYPH_WIDTH + 1) * SCALE, (GLYPH_HEIGHT + 1) * SCALE
WIDTH, HEIGHT = COLUMNS * CELL_WIDTH, ROWS * CELL_HEIGHT
FOREGROUND, BACKGROUND = (0xAA, 0xAA, 0xAA), (0, 0, 0)
VNC_AUTH, SECURITY_OK, SECURITY_FAILED = 2, 0, 1
KEY_RETURN, KEY_BACKSPACE, KEY_DELETE = 0xFF0D, 0xFF08, 0xFFFF
CONTROL_KEYS, ALT_KEYS = {0xFFE3, 0xFFE4}, {0xFFE9, 0xFFEA, 0xFFE7, 0xFFE8}


def vnc_auth_response(password: str, challenge: bytes) -> bytes:
    """The VNC authentication answer: the challenge DES-encrypted with the password's first
    eight bytes, each bit-reversed (RFB's historical quirk)."""
    key = bytes(int(f"{b:08b}"[::-1], 2) for b in password.encode()[:8].ljust(8, b"\0"))
    encryptor = Cipher(TripleDES(key * 3), modes.ECB()).encryptor()  # noqa: S305 - RFB's scheme, single DES
    return encryptor.update(challenge) + encryptor.finalize()


class Closed(Exception):
    """The viewer went away, or broke the protocol."""


class TextScreen:
    """What the guest shows: a banner, an empty line, the login prompt and what was typed."""

    def __init__(self, hostname: str, os_name: str) -> None:
        self.lines = [f"{os_name} {hostname} tty1", "", f"{hostname} login: "]
        self.dirty: set[int] = set(range(ROWS))

    def type(self, text: str) -> None:
        for char in text:
            if char in "\r\n":
                self.newline()
            elif char.isprintable():
                self._set(len(self.lines) - 1, self.lines[-1] + char)

    def erase(self) -> None:
        if self.lines[-1]:
            self._set(len(self.lines) - 1, self.lines[-1][:-1])

    def newline(self, text: str = "") -> None:
        self.lines.append(text)
        if len(self.lines) > ROWS:
            self.lines = self.lines[-ROWS:]
            self.dirty = set(range(ROWS))
        else:
            self.dirty.add(len(self.lines) - 1)

    def _set(self, row: int, text: str) -> None:
        self.lines[row] = text[:COLUMNS]
        self.dirty.add(row)

    def row_pixels(self, row: int, pixel: bytes, blank: bytes) -> bytes:
        """One text row as Raw pixels (CELL_HEIGHT lines of WIDTH pixels)."""
        text = (self.lines[row] if row < len(self.lines) else "").ljust(COLUMNS)[:COLUMNS]
        return b"".join(
            b"".join(_cell_line(char, y // SCALE, pixel, blank) for char in text)
            for y in range(CELL_HEIGHT)
        )


@functools.lru_cache(maxsize=4096)
def _cell_line(char: str, glyph_row: int, pixel: bytes, blank: bytes) -> bytes:
    """One pixel line of one character cell (cached: a screen has few distinct ones)."""
    bits = glyph(char)[glyph_row] if glyph_row < GLYPH_HEIGHT else 0
    out = bytearray()
    for x in range(CELL_WIDTH):
        column = x // SCALE
        lit = column < GLYPH_WIDTH and bits >> (GLYPH_WIDTH - 1 - column) & 1
        out += pixel if lit else blank
    return bytes(out)


class PixelFormat:
    """The viewer's pixel format; 32 bits per pixel true colour, as noVNC asks for."""

    def __init__(self, raw: bytes | None = None) -> None:
        self.raw = raw or struct.pack(">BBBBHHHBBB3x", 32, 24, 0, 1, 255, 255, 255, 16, 8, 0)
        bpp, _, big_endian, true_colour, *_, r_shift, g_shift, b_shift = struct.unpack(
            ">BBBBHHHBBB3x", self.raw
        )
        if bpp != 32 or not true_colour:
            raise Closed("only 32-bit true colour is served")
        self.order = ">I" if big_endian else "<I"
        self.shifts = (r_shift, g_shift, b_shift)

    def encode(self, rgb: tuple[int, int, int]) -> bytes:
        value = sum(channel << shift for channel, shift in zip(rgb, self.shifts, strict=True))
        return struct.pack(self.order, value)


class RfbSession:
    """One viewer on one socket."""

    def __init__(self, sock: socket.socket, password: str, screen: TextScreen) -> None:
        self.sock, self.password, self.screen = sock, password, screen
        self.format = PixelFormat()
        self.pending_request = False
        self.full_update = True
        self.held: set[int] = set()  # keys down, for Ctrl-Alt-Del

    def run(self) -> None:
        try:
            if self._handshake():
                self._serve()
        except (Closed, OSError):
            pass
        finally:
            self.sock.close()

    def _handshake(self) -> bool:
        self.sock.sendall(b"RFB 003.008\n")
        version = self._read(12)
        if version not in (b"RFB 003.008\n", b"RFB 003.007\n"):
            raise Closed(f"unsupported version {version!r}")
        self.sock.sendall(bytes([1, VNC_AUTH]))
        if self._read(1)[0] != VNC_AUTH:
            raise Closed("the viewer chose another security type")
        challenge = os.urandom(16)
        self.sock.sendall(challenge)
        if self._read(16) != vnc_auth_response(self.password, challenge):
            reason = b"Authentication failed"
            self.sock.sendall(struct.pack(">II", SECURITY_FAILED, len(reason)) + reason)
            return False
        self.sock.sendall(struct.pack(">I", SECURITY_OK))
        self._read(1)  # ClientInit: shared or not, all the same here
        name = self.screen.lines[0].encode()
        self.sock.sendall(struct.pack(">HH", WIDTH, HEIGHT) + self.format.raw)
        self.sock.sendall(struct.pack(">I", len(name)) + name)
        return True

    def _serve(self) -> None:
        while True:
            kind = self._read(1)[0]
            if kind == 0:  # SetPixelFormat
                self.format = PixelFormat(self._read(19)[3:])
                self.full_update = True
            elif kind == 2:  # SetEncodings: Raw is always understood
                (count,) = struct.unpack(">xH", self._read(3))
                self._read(4 * count)
            elif kind == 3:  # FramebufferUpdateRequest
                incremental = self._read(9)[0]
                self.full_update = self.full_update or not incremental
                self.pending_request = True
            elif kind == 4:  # KeyEvent
                down, key = struct.unpack(">Bxxl", self._read(7))
                self._key(bool(down), key)
            elif kind == 5:  # PointerEvent
                self._read(5)
            elif kind == 6:  # ClientCutText: what the viewer pasted
                (length,) = struct.unpack(">xxxI", self._read(7))
                self.screen.type(self._read(length).decode("latin-1"))
            else:
                raise Closed(f"unknown message type {kind}")
            self._update()

    def _key(self, down: bool, key: int) -> None:
        if not down:
            self.held.discard(key)
            return
        self.held.add(key)
        if key == KEY_DELETE and self.held & CONTROL_KEYS and self.held & ALT_KEYS:
            self.screen.newline("Ctrl-Alt-Del: the system is going down for reboot NOW!")
            self.screen.newline(self.screen.lines[2].split(" login:")[0] + " login: ")
        elif key == KEY_RETURN:
            self.screen.newline()
        elif key == KEY_BACKSPACE:
            self.screen.erase()
        elif 0x20 <= key <= 0x7E and not self.held & (CONTROL_KEYS | ALT_KEYS):
            self.screen.type(chr(key))

    def _update(self) -> None:
        """Answer the outstanding request with the rows that changed (all of them at first)."""
        if not self.pending_request:
            return
        rows = set(range(ROWS)) if self.full_update else set(self.screen.dirty)
        if not rows:
            return  # an incremental request waits for a change
        self.pending_request, self.full_update = False, False
        self.screen.dirty.clear()
        pixel, blank = self.format.encode(FOREGROUND), self.format.encode(BACKGROUND)
        message = bytearray(struct.pack(">BxH", 0, len(rows)))
        for row in sorted(rows):
            message += struct.pack(">HHHHi", 0, row * CELL_HEIGHT, WIDTH, CELL_HEIGHT, 0)
            message += self.screen.row_pixels(row, pixel, blank)
        self.sock.sendall(message)

    def _read(self, count: int) -> bytes:
        data = bytearray()
        while len(data) < count:
            chunk = self.sock.recv(count - len(data))
            if not chunk:
                raise Closed("the viewer closed the connection")
            data += chunk
        return bytes(data)


def serve_console(sock: socket.socket, *, password: str, hostname: str, os_name: str) -> None:
    """Serve one viewer on `sock` until it leaves (blocking)."""
    RfbSession(sock, password, TextScreen(hostname, os_name)).run()


def start_console(
    sock: socket.socket, *, password: str, hostname: str, os_name: str
) -> threading.Thread:
    """`serve_console` on a thread of its own."""
    thread = threading.Thread(
        target=serve_console,
        args=(sock,),
        kwargs={"password": password, "hostname": hostname, "os_name": os_name},
        daemon=True,
        name=f"rfb-{hostname}",
    )
    thread.start()
    return thread
