"""On PostgreSQL the console is served by `hostprovider realtime` (never by the API's request
threads): a link made by `hostprovider serve` opens, in a realtime process, a VM's console on the
simulated cluster of `hostprovider simulate` through the Proxmox adapter, in PVE's steps."""

from __future__ import annotations

import pytest
import websocket

from tests.console.rfb_viewer import RfbViewer

from .stack import Stack
from .test_live import pg_stack  # noqa: F401 - the module's fixture
from .test_postgres_stack import customer_with_credit, order

pytestmark = pytest.mark.e2e


def test_a_realtime_process_serves_the_console_of_a_vm(pg_stack: Stack) -> None:  # noqa: F811
    customer, _ = customer_with_credit(pg_stack)
    created = order(customer, "console-on-postgres", name="console-1")
    assert customer.wait_for_action(created["taskId"])["status"] == "success"
    api = pg_stack.sandbox.base_url if pg_stack.sandbox else ""
    realtime = pg_stack.start_realtime("realtime-console")
    url = customer.post("/api/server/console", {"serverId": created["id"]})["url"]
    assert url.startswith(f"{api}/console/")
    socket_url = url.replace(api, realtime.replace("http://", "ws://", 1), 1) + "/websocket"

    ws = websocket.create_connection(socket_url, subprotocols=["binary"], timeout=15)
    try:
        viewer = RfbViewer(lambda _n: ws.recv() or b"", ws.send_binary)
        assert viewer.security_types() == [1] and viewer.no_auth() == 0
        viewer.init()
        viewer.request()
        viewer.update()
        assert viewer.name == "Linux console-1 tty1" and viewer.shows(2, "console-1 login: ")
    finally:
        ws.close()
    with pytest.raises(websocket.WebSocketBadStatusException) as spent:
        websocket.create_connection(socket_url, timeout=15)
    assert spent.value.status_code == 404
    customer.close()
