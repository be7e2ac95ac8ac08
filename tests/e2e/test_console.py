"""The console through a live `hostprovider serve`: the link, the page, and the websocket proxy
relaying RFB to the simulated guest screen, on the sandbox's hypervisor and on the Proxmox
adapter against the PVE simulator (vncproxy, then vncwebsocket, as PVE 8.4 takes them)."""

from __future__ import annotations

import struct
import time
from collections.abc import Iterator
from decimal import Decimal

import pytest
import requests
import websocket

from tests.console.rfb_viewer import RfbViewer

from .conftest import PROXMOX_HYPERVISOR, SANDBOX_HYPERVISOR
from .sandbox import Client, Sandbox
from .test_lifecycle import _customer
from .test_live import customer_with_server

pytestmark = pytest.mark.e2e

SANDBOX_HYPERVISORS = [SANDBOX_HYPERVISOR, PROXMOX_HYPERVISOR]
WAIT = 15.0


@pytest.fixture(scope="module")
def admin(sandbox: Sandbox) -> Iterator[Client]:
    client = Client(sandbox.base_url).login(sandbox.admin_email, sandbox.admin_password)
    yield client
    client.close()


@pytest.fixture(scope="module")
def owner(sandbox: Sandbox, admin: Client) -> Iterator[tuple[Client, dict]]:
    customer, server_id = customer_with_server(sandbox, admin)
    yield customer, customer.get(f"/api/server/{server_id}")
    customer.close()


def link(customer: Client, server: dict) -> str:
    answer = customer.post("/api/server/console", {"vmid": server["proxmoxId"]})
    assert set(answer) == {"status", "url", "expiresAt"} and answer["status"] == "success"
    return answer["url"]


def socket_url(url: str) -> str:
    return url.replace("http://", "ws://", 1) + "/websocket"


def open_viewer(url: str) -> tuple[websocket.WebSocket, RfbViewer]:
    ws = websocket.create_connection(socket_url(url), subprotocols=["binary"], timeout=WAIT)
    viewer = RfbViewer(lambda _n: ws.recv() or b"", ws.send_binary)
    assert viewer.security_types() == [1]  # None: the proxy authenticated to the guest
    assert viewer.no_auth() == 0
    viewer.init()
    return ws, viewer


def refused_status(url: str) -> int:
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        websocket.create_connection(socket_url(url), timeout=WAIT)
    return refused.value.status_code


def test_the_console_shows_the_guest_screen_and_relays_both_ways(owner):
    customer, server = owner
    url = link(customer, server)
    assert requests.get(url, timeout=WAIT).status_code == 200
    ws, viewer = open_viewer(url)
    try:
        assert (viewer.width, viewer.height) == (960, 480)
        viewer.request()
        viewer.update()
        hostname = viewer.name.split(" ")[-2]
        assert viewer.shows(2, f"{hostname} login: ") and viewer.lit_pixels() > 500
        assert viewer.name.startswith("Ubuntu")  # the OS, as the guest (or the catalogue) names it
        viewer.type("root")  # page to guest: keys; guest to page: the echoed row, byte for byte
        viewer.request(incremental=True)
        viewer.update()
        assert viewer.shows(2, f"{hostname} login: root")
        viewer.send(struct.pack(">BxxxI", 6, 5) + b" ok!\n")  # a paste (ClientCutText)
        viewer.request(incremental=True)
        viewer.update()
        assert viewer.shows(2, f"{hostname} login: root ok!")
    finally:
        ws.close()
    # The session is over: the same link opens nothing more, and the page says it ended.
    assert refused_status(url) == 404
    deadline = time.monotonic() + WAIT
    while requests.get(url + "/state", timeout=WAIT).json()["state"] != "ended":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    page = requests.get(url, timeout=WAIT)
    assert page.status_code == 410 and "session has ended" in page.text


def test_made_up_and_foreign_links_are_404(sandbox: Sandbox, owner, admin: Client):
    customer, server = owner
    made_up = f"{sandbox.base_url}/console/{'A' * 43}"
    assert refused_status(made_up) == 404
    assert requests.get(made_up, timeout=WAIT).status_code == 404
    stranger, _ = _customer(Client(sandbox.base_url), admin, Decimal("10.00"))
    stranger.post("/api/server/console", {"vmid": server["proxmoxId"]}, expect=404)
    stranger.close()


def test_stopping_the_server_closes_its_console(owner):
    customer, server = owner
    ws, viewer = open_viewer(link(customer, server))
    viewer.request()
    viewer.update()
    stop = customer.post(f"/api/server/{server['id']}/stop", expect=202)
    customer.wait_for_action(stop["taskId"])
    ws.settimeout(WAIT)
    with pytest.raises(websocket.WebSocketConnectionClosedException):
        while True:
            ws.recv()  # until the proxy closes the socket
    ws.shutdown()
    start = customer.post(f"/api/server/{server['id']}/start", expect=202)
    customer.wait_for_action(start["taskId"])
