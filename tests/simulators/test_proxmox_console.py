# ruff: noqa: F811 - the fixtures come from the simulator's main test module
"""The simulator's consoles, driven as PVE's are: vncproxy with websocket=1, then vncwebsocket with
the port and ticket under the same API token, then RFB with the ticket as the VNC password."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
import websocket

from simulators.proxmox import ProxmoxSimulator
from tests.console.rfb_viewer import RfbViewer
from tests.simulators.test_proxmox_simulator import (  # noqa: F401 - fixtures
    NODE,
    Api,
    api,
    clock,
    pve,
    running,
    took_violations,
)


def open_socket(pve: ProxmoxSimulator, kind: str, vmid: int, port: int, ticket: str, **kw):
    query = urlencode({"port": port, "vncticket": ticket})
    url = pve.url.replace("http", "ws", 1) + (
        f"/api2/json/nodes/{NODE}/{kind}/{vmid}/vncwebsocket?{query}"
    )
    header = [f"Authorization: {kw.pop('auth', pve.auth_header)}"]
    return websocket.create_connection(url, header=header, subprotocols=["binary"], timeout=10)


def viewer_on(ws: websocket.WebSocket) -> RfbViewer:
    return RfbViewer(lambda _n: ws.recv() or b"", ws.send_binary)


def container_viewer(api: Api, pve: ProxmoxSimulator, consoles: list) -> tuple[RfbViewer, dict]:
    """A running container 100 and a viewer at its security handshake."""
    running(api, pve, 100)
    proxy = api.data(api.post(f"/nodes/{NODE}/lxc/100/vncproxy", websocket=1))
    ws = open_socket(pve, "lxc", 100, proxy["port"], proxy["ticket"])
    consoles.append(ws)
    viewer = viewer_on(ws)
    assert viewer.security_types() == [2]
    return viewer, proxy


@pytest.fixture
def consoles(api: Api, pve: ProxmoxSimulator) -> Iterator[list[websocket.WebSocket]]:
    opened: list[websocket.WebSocket] = []
    yield opened
    for ws in opened:
        ws.close()
        ws.shutdown()  # also when the server closed first


def test_a_container_console_shows_the_login_prompt(api: Api, pve: ProxmoxSimulator, consoles):
    running(api, pve, 100)
    proxy = api.data(api.post(f"/nodes/{NODE}/lxc/100/vncproxy", websocket=1))
    assert 5900 <= proxy["port"] <= 5999 and proxy["ticket"].startswith("PVEVNC:")
    assert proxy["user"] == pve.token_id and "cert" in proxy and "password" not in proxy
    ws = open_socket(pve, "lxc", 100, proxy["port"], proxy["ticket"])
    consoles.append(ws)
    assert ws.subprotocol == "binary"
    viewer = viewer_on(ws)
    assert viewer.security_types() == [2]
    assert viewer.vnc_auth(proxy["ticket"]) == 0
    viewer.init()
    assert (viewer.width, viewer.height) == (960, 480)
    viewer.request()
    assert viewer.update() == 24
    assert viewer.shows(0, "Ubuntu srv-100 tty1") and viewer.shows(2, "srv-100 login: ")
    viewer.type("root")
    viewer.request(incremental=True)
    viewer.update()
    assert viewer.shows(2, "srv-100 login: root")


def test_a_vm_console_takes_the_generated_password(api: Api, pve: ProxmoxSimulator, consoles):
    pve.add_template(NODE, 9000, "ubuntu-cloud")
    pve.seed_guest(NODE, 120, kind="qemu", status="running", name="server-12")
    proxy = api.data(
        api.post(f"/nodes/{NODE}/qemu/120/vncproxy", websocket=1, **{"generate-password": 1})
    )
    assert len(proxy["password"]) == 8
    ws = open_socket(pve, "qemu", 120, proxy["port"], proxy["ticket"])
    consoles.append(ws)
    viewer = viewer_on(ws)
    viewer.security_types()
    assert viewer.vnc_auth(proxy["password"]) == 0
    viewer.init()
    viewer.request()
    viewer.update()
    assert viewer.shows(2, "server-12 login: ")


def test_a_wrong_password_fails_the_vnc_authentication(api: Api, pve: ProxmoxSimulator, consoles):
    viewer, _ = container_viewer(api, pve, consoles)
    assert viewer.vnc_auth("PVEVNC:guessed") == 1


def test_the_ticket_is_bound_to_its_port_guest_and_first_connection(
    api: Api, pve: ProxmoxSimulator, consoles
):
    running(api, pve, 100)
    running(api, pve, 101)
    proxy = api.data(api.post(f"/nodes/{NODE}/lxc/100/vncproxy", websocket=1))
    port, ticket = proxy["port"], proxy["ticket"]
    for kind, vmid, p, t in [
        ("lxc", 101, port, ticket),  # another guest
        ("lxc", 100, port, ticket[:-4] + "AAAA"),  # a forged ticket
        ("lxc", 100, port + 1, ticket),  # another port
    ]:
        with pytest.raises(websocket.WebSocketBadStatusException) as refused:
            open_socket(pve, kind, vmid, p, t)
        assert refused.value.status_code == 401
    consoles.append(open_socket(pve, "lxc", 100, port, ticket))
    with pytest.raises(websocket.WebSocketBadStatusException) as again:
        open_socket(pve, "lxc", 100, port, ticket)
    assert again.value.status_code == 401


def test_an_unused_ticket_lapses_after_ten_seconds(api: Api, pve: ProxmoxSimulator):
    running(api, pve, 100)
    proxy = api.data(api.post(f"/nodes/{NODE}/lxc/100/vncproxy", websocket=1))
    pve.advance(11)
    with pytest.raises(websocket.WebSocketBadStatusException):
        open_socket(pve, "lxc", 100, proxy["port"], proxy["ticket"])


def test_a_plain_get_answers_the_port_and_leaves_it_to_the_websocket(
    api: Api, pve: ProxmoxSimulator, consoles
):
    running(api, pve, 100)
    proxy = api.data(api.post(f"/nodes/{NODE}/lxc/100/vncproxy", websocket=1))
    query = {"port": proxy["port"], "vncticket": proxy["ticket"]}
    assert api.data(api.get(f"/nodes/{NODE}/lxc/100/vncwebsocket", **query)) == {
        "port": str(proxy["port"])
    }
    consoles.append(open_socket(pve, "lxc", 100, proxy["port"], proxy["ticket"]))


def test_vncwebsocket_without_a_port_is_a_parameter_error(api: Api, pve: ProxmoxSimulator):
    running(api, pve, 100)
    refused = api.get(f"/nodes/{NODE}/lxc/100/vncwebsocket", vncticket="PVEVNC:x")
    assert refused.status_code == 400 and "port" in refused.json()["errors"]
    took_violations(pve, 1)


def test_stopping_the_guest_closes_its_console(api: Api, pve: ProxmoxSimulator, consoles):
    viewer, proxy = container_viewer(api, pve, consoles)
    viewer.vnc_auth(proxy["ticket"])
    upid = api.data(api.post(f"/nodes/{NODE}/lxc/100/status/stop"))
    pve.advance(60)
    assert api.task(upid)["exitstatus"] == "OK"
    with pytest.raises((ConnectionError, websocket.WebSocketConnectionClosedException)):
        while True:
            viewer.read(len(viewer.buffer) + 1)
