"""100 consoles on one sandbox process, and what they cost the API beside them.

`hostprovider serve` (the sandbox, as `make run` starts it) gets a customer with four running
servers. The API's latency (`GET /api/server`, 200 sequential requests) is measured alone, then
with 100 consoles open through the console proxy (each past RFB's handshake and its first full
screen, then typing a key a second), and the ratio of the two is printed with the time the 100
took to open and the process's RSS before and after. The proxy's sockets wait on the event loop,
so the API's request threads should not notice them.
"""

from __future__ import annotations

import secrets
import statistics
import struct
import threading
import time
from decimal import Decimal
from pathlib import Path
from tempfile import TemporaryDirectory

import websocket

from tests.console.rfb_viewer import RfbViewer
from tests.e2e.sandbox import Client, running_sandbox
from tests.e2e.test_lifecycle import ORDER, _customer

CONSOLES = 100
SERVERS = 4
REQUESTS = 200


MARK = f"CONSOLE_BENCH_RUN={secrets.token_hex(8)}"


def _serve_rss_mib() -> float:
    """The RSS of the sandbox's processes (gunicorn's master and its one worker), found by the
    mark in their environment."""
    bind = MARK.encode()
    total = 0.0
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and bind in (proc / "environ").read_bytes().split(b"\0"):
                for line in (proc / "status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) / 1024
        except OSError:
            continue
    return total


def _latencies_ms(client: Client) -> list[float]:
    took = []
    for _ in range(REQUESTS):
        began = time.perf_counter()
        client.get("/api/server")
        took.append((time.perf_counter() - began) * 1000)
    return took


def _p(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100)[int(share * 100) - 1]


class Console(threading.Thread):
    """One console: handshake, the first screen, then a key a second until told to stop."""

    def __init__(self, url: str, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.url, self.stop = url, stop
        self.ready = threading.Event()
        self.lit = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        socket_url = self.url.replace("http://", "ws://", 1) + "/websocket"
        try:
            ws = websocket.create_connection(socket_url, subprotocols=["binary"], timeout=30)
            viewer = RfbViewer(lambda _n: ws.recv() or b"", ws.send_binary)
            viewer.security_types()
            viewer.no_auth()
            viewer.init()
            viewer.request()
            viewer.update()
            self.lit = viewer.lit_pixels()
            self.ready.set()
            while not self.stop.wait(1.0):
                viewer.key(ord("x"))
                viewer.send(struct.pack(">BBHHHH", 3, 1, 0, 0, viewer.width, viewer.height))
                viewer.update()
            ws.close()
        except BaseException as error:  # noqa: BLE001 - reported by main
            self.error = error
            self.ready.set()


def main() -> None:
    with (
        TemporaryDirectory() as workdir,
        running_sandbox(Path(workdir), task_seconds=0, settings=dict([MARK.split("=")])) as box,
    ):
        admin = Client(box.base_url).login(box.admin_email, box.admin_password)
        customer, _ = _customer(Client(box.base_url), admin, Decimal("100000.00"))
        servers = []
        for _ in range(SERVERS):
            quote = customer.post("/api/quote", ORDER)
            created = customer.post(
                "/api/server/create", {**ORDER, "quoteId": quote["quoteId"]}, expect=201
            )
            customer.wait_for_action(created["taskId"])
            servers.append(created["id"])
        alone = _latencies_ms(customer)
        rss_before = _serve_rss_mib()
        stop = threading.Event()
        began = time.monotonic()
        consoles = []
        for n in range(CONSOLES):
            url = customer.post("/api/server/console", {"serverId": servers[n % SERVERS]})["url"]
            consoles.append(Console(url, stop))
            consoles[-1].start()
        for console in consoles:
            console.ready.wait(60)
        opened_s = time.monotonic() - began
        failed = [c.error for c in consoles if c.error is not None or not c.lit]
        beside = _latencies_ms(customer)
        rss_after = _serve_rss_mib()
        stop.set()
        for console in consoles:
            console.join(10)
        print(
            f"console sessions: {CONSOLES - len(failed)}/{CONSOLES} consoles open on one sandbox "
            f"process in {opened_s:.1f} s (first screen drawn); GET /api/server p50 "
            f"{_p(alone, 0.5):.1f} -> {_p(beside, 0.5):.1f} ms, p99 {_p(alone, 0.99):.1f} -> "
            f"{_p(beside, 0.99):.1f} ms beside them "
            f"(ratio p99 {_p(beside, 0.99) / _p(alone, 0.99):.2f}); sandbox RSS "
            f"{rss_before:.0f} -> {rss_after:.0f} MiB"
            + (f"; first failure: {failed[0]!r}" if failed else "")
        )
        customer.close()
        admin.close()


if __name__ == "__main__":
    main()
