"""The console page in a real browser (Debian's chromium through playwright-core): noVNC, served
from our own origin, draws the simulated guest's screen through our websocket proxy; Ctrl-Alt-Del
and paste reach the guest; a lapsed link shows the page's message instead.

`HOSTPROVIDER_UPDATE_SCREENSHOT=1` copies the screenshot to docs/console.png (the README's)."""

from __future__ import annotations

import os
import shutil
import struct
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import websocket

from tests.browser import run_scenario

from .sandbox import Client, Sandbox
from .test_live import customer_with_server

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple"  # what test_lifecycle's customers sign up with
LINK_SECONDS = 5
SANDBOX_SETTINGS = {"HOSTPROVIDER_CONSOLE_LINK_SECONDS": str(LINK_SECONDS)}
SCENARIO = Path(__file__).with_name("console_page.mjs")
README_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "console.png"


@pytest.fixture(scope="module")
def owner(sandbox: Sandbox) -> Iterator[tuple[Client, int]]:
    admin = Client(sandbox.base_url).login(sandbox.admin_email, sandbox.admin_password)
    customer, server_id = customer_with_server(sandbox, admin)
    yield customer, server_id
    customer.close()
    admin.close()


def console_url(customer: Client, server_id: int) -> str:
    return customer.post("/api/server/console", {"serverId": server_id})["url"]


def test_the_console_page_shows_the_guest_screen(
    sandbox: Sandbox, owner: tuple[Client, int], tmp_path: Path
) -> None:
    customer, server_id = owner
    screenshot = tmp_path / "console.png"

    page = run_scenario(SCENARIO, url=console_url(customer, server_id), screenshot=str(screenshot))

    assert page["status"] == 200 and page["origins"] == [sandbox.base_url]  # no CDN
    assert page["first"] > 1000  # the login screen's text
    assert page["afterReboot"] > page["first"] and page["afterPaste"] > page["afterReboot"]
    left, top, right, bottom = page["canvas"]["box"]
    assert page["canvas"]["width"] == 960 and right - left > 960  # scaled up to the window
    # The screenshot itself: the console's text lit inside the canvas, on its black background.
    width, height, lit = lit_pixels(screenshot.read_bytes(), (left, top, right, bottom))
    assert (width, height) == (1024, 768) and lit > 1000
    if os.environ.get("HOSTPROVIDER_UPDATE_SCREENSHOT"):
        README_SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(screenshot, README_SCREENSHOT)


def test_a_lapsed_link_shows_why(sandbox: Sandbox, owner: tuple[Client, int]) -> None:
    customer, server_id = owner
    url = console_url(customer, server_id)
    time.sleep(LINK_SECONDS + 1)

    page = run_scenario(SCENARIO, url=url, expectMessage=True)

    assert page["status"] == 410
    assert "This console link has expired" in page["message"]


def test_reconnect_gets_a_new_link_with_the_panels_session(
    sandbox: Sandbox, owner: tuple[Client, int]
) -> None:
    customer, server_id = owner
    url = console_url(customer, server_id)
    spent = websocket.create_connection(url.replace("http://", "ws://", 1) + "/websocket")
    spent.close()  # the link's one session came and went
    email = customer.get("/api/auth/me")["email"]

    page = run_scenario(SCENARIO, url=url, reconnect={"email": email, "password": PASSWORD})

    assert page["status"] == 410 and page["login"] == 200
    assert page["url"].startswith(f"{sandbox.base_url}/console/") and page["url"] != url


def lit_pixels(png: bytes, box: tuple[float, float, float, float]) -> tuple[int, int, int]:
    """Width, height and the number of light pixels inside `box` (left, top, right, bottom) of an
    8-bit RGB or RGBA PNG, as chromium writes screenshots."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    position, chunks, header = 8, [], b""
    while position < len(png):
        (length,) = struct.unpack(">I", png[position : position + 4])
        kind = png[position + 4 : position + 8]
        data = png[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            header = data
        elif kind == b"IDAT":
            chunks.append(data)
        position += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and colour in (2, 6)
    channels = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    previous = bytearray(stride)
    lit = 0
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up, corner = previous[i], previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                guess = left + up - corner
                near = min(
                    (abs(guess - left), 0, left),
                    (abs(guess - up), 1, up),
                    (abs(guess - corner), 2, corner),
                )[2]
                line[i] = (line[i] + near) & 0xFF
        lit += sum(1 for x in range(0, stride, channels) if line[x] > 150 and line[x + 1] > 150)
        previous = line
    return width, height, lit
