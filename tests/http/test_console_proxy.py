"""The console's ASGI application in-process (entrypoints/console): the page, the link's state,
noVNC's files, and the websocket proxy onto the simulated guest screen: refusals, bytes relayed
unchanged both ways, the idle timeout, a stopped server, and 100 sessions at once."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from api_support import Api, User

from adapters.memory.console import SimulatedConsoles
from domain.model.console import CONSOLE_FAILURES_PER_WINDOW
from entrypoints.console.app import ConsoleApp
from simulators.proxmox.rfb import start_console
from tests.console.rfb_viewer import RfbViewer

CLIENT = ("203.0.113.50", 40000)


class Socket:
    """One websocket to the ASGI app, as a server would drive it (with the denial extension)."""

    closed: dict[str, Any]

    def __init__(self, app: ConsoleApp, path: str, client: tuple[str, int] = CLIENT) -> None:
        self.incoming: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.outgoing: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        scope = {
            "type": "websocket",
            "path": path,
            "headers": [],
            "client": client,
            "subprotocols": ["binary"],
            "extensions": {"websocket.http.response": {}},
        }
        self.task = asyncio.create_task(app(scope, self.incoming.get, self.outgoing.put))
        self.buffer = b""

    async def open(self) -> dict[str, Any]:
        await self.incoming.put({"type": "websocket.connect"})
        return await asyncio.wait_for(self.outgoing.get(), 10)

    async def recv(self, _count: int = 0) -> bytes:
        message = await asyncio.wait_for(self.outgoing.get(), 10)
        if message["type"] == "websocket.close":
            self.closed = message
            return b""
        return bytes(message["bytes"])

    async def send(self, data: bytes) -> None:
        await self.incoming.put({"type": "websocket.receive", "bytes": data})

    async def leave(self) -> None:
        await self.incoming.put({"type": "websocket.disconnect", "code": 1000})
        await asyncio.wait_for(self.task, 10)


def viewer_on(sock: Socket) -> RfbViewer:
    """The test viewer (blocking) over the socket: run its steps with `asyncio.to_thread`."""
    loop = asyncio.get_running_loop()

    def recv(_count: int) -> bytes:
        return asyncio.run_coroutine_threadsafe(sock.recv(), loop).result(10)

    def send(data: bytes) -> None:
        asyncio.run_coroutine_threadsafe(sock.send(data), loop).result(10)

    return RfbViewer(recv, send)


async def handshake(sock: Socket) -> RfbViewer:
    viewer = viewer_on(sock)
    assert await asyncio.to_thread(viewer.security_types) == [1]
    assert await asyncio.to_thread(viewer.no_auth) == 0
    await asyncio.to_thread(viewer.init)
    return viewer


async def screen(viewer: RfbViewer, incremental: bool = False) -> None:
    def ask_and_read() -> None:
        viewer.request(incremental)
        viewer.update()

    await asyncio.to_thread(ask_and_read)


@pytest.fixture
def app(api: Api) -> ConsoleApp:
    return ConsoleApp(
        api.rt,
        SimulatedConsoles(api.hypervisor, start_console),
        idle_seconds=30,
        recheck_seconds=0.05,
    )


def link(api: Api, user: User, server: dict[str, Any]) -> str:
    result = api.post("/api/server/console", user=user, json={"serverId": server["id"]})
    return str(result.json["url"]).rsplit("/console/", 1)[1]


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def test_bytes_are_relayed_unchanged_both_ways(api: Api, customer: User, app: ConsoleApp):
    server = api.running_server(customer)
    secret = link(api, customer, server)

    async def session() -> None:
        sock = Socket(app, f"/console/{secret}/websocket")
        accepted = await sock.open()
        assert accepted == {"type": "websocket.accept", "subprotocol": "binary"}
        viewer = await handshake(sock)
        assert viewer.name.startswith("Ubuntu 24.04 ")
        await screen(viewer)
        hostname = server["name"]
        assert viewer.shows(2, f"{hostname} login: ")
        await asyncio.to_thread(viewer.type, "admin")
        await screen(viewer, incremental=True)
        assert viewer.shows(2, f"{hostname} login: admin")
        await sock.leave()

    run(session())
    with api.rt.uow() as uow:
        records = [r.action for r in uow.audit.search(_query(server), _page())[0]]
    assert "server.console_open" in records and "server.console_close" in records


def _query(server: dict[str, Any]) -> Any:
    from ports.audit import AuditQuery

    return AuditQuery(target=f"server:{server['id']}")


def _page() -> Any:
    from ports.paging import Page

    return Page(per_page=100)


def denial(message: dict[str, Any]) -> int:
    assert message["type"] == "websocket.http.response.start", message
    return int(message["status"])


def test_refusals_answer_the_upgrade_with_a_status(
    api: Api, customer: User, stranger: User, app: ConsoleApp
):
    server = api.running_server(customer)
    spent = link(api, customer, server)

    async def refusals() -> None:
        first = Socket(app, f"/console/{spent}/websocket")
        assert (await first.open())["type"] == "websocket.accept"
        await first.leave()
        # reused after the session, made up, or on a path that is not a socket
        for path in (
            f"/console/{spent}/websocket",
            "/console/made-up/websocket",
            f"/console/{spent}",
        ):
            assert denial(await Socket(app, path).open()) == 404
        api.post(f"/api/server/{server['id']}/stop", user=customer)
        stopped = link_or_none(api, customer, server)
        assert stopped is None  # a stopped server gets no link (409)
        for n in range(CONSOLE_FAILURES_PER_WINDOW):
            await Socket(app, f"/console/guess-{n}/websocket").open()
        assert denial(await Socket(app, "/console/guess/websocket").open()) == 429
        elsewhere = Socket(app, "/console/guess/websocket", client=("198.51.100.1", 1))
        assert denial(await elsewhere.open()) == 404

    run(refusals())


def link_or_none(api: Api, user: User, server: dict[str, Any]) -> str | None:
    result = api.post("/api/server/console", user=user, json={"serverId": server["id"]})
    return None if result.status_code == 409 else str(result.json["url"])


def test_a_hypervisor_failing_the_console_is_502(api: Api, customer: User, app: ConsoleApp):
    server = api.running_server(customer)
    secret = link(api, customer, server)
    api.hypervisor.fail_next("console", message="vncproxy crashed")

    async def failing() -> None:
        assert denial(await Socket(app, f"/console/{secret}/websocket").open()) == 502

    run(failing())
    state = run(http(app, f"/console/{secret}/state"))
    assert json.loads(state["body"]) == {"state": "ended", "reason": "closed"}


def test_stopping_the_server_closes_the_console(api: Api, customer: User, app: ConsoleApp):
    server = api.running_server(customer)
    secret = link(api, customer, server)

    async def session() -> dict[str, Any]:
        sock = Socket(app, f"/console/{secret}/websocket")
        await sock.open()
        viewer = await handshake(sock)
        await screen(viewer)
        await asyncio.to_thread(api.post, f"/api/server/{server['id']}/stop", user=customer)
        while await sock.recv():
            pass
        await asyncio.wait_for(sock.task, 10)
        return sock.closed

    closed = run(session())
    assert closed == {"type": "websocket.close", "code": 4002, "reason": "stopped"}
    state = json.loads(run(http(app, f"/console/{secret}/state"))["body"])
    assert state == {"state": "ended", "reason": "stopped"}
    page = run(http(app, f"/console/{secret}"))
    assert page["status"] == 410 and b"The server stopped" in page["body"]


def test_a_console_without_input_closes_after_the_idle_timeout(api: Api, customer: User):
    server = api.running_server(customer)
    secret = link(api, customer, server)
    gateway = SimulatedConsoles(api.hypervisor, start_console)
    app = ConsoleApp(api.rt, gateway, idle_seconds=0.3, recheck_seconds=5)

    async def session() -> dict[str, Any]:
        sock = Socket(app, f"/console/{secret}/websocket")
        await sock.open()
        viewer = await handshake(sock)
        await screen(viewer)
        while await sock.recv():
            pass
        await asyncio.wait_for(sock.task, 10)  # the proxy's own ending: the link, the stream
        return sock.closed

    assert run(session()) == {"type": "websocket.close", "code": 4001, "reason": "idle"}
    assert json.loads(run(http(app, f"/console/{secret}/state"))["body"])["reason"] == "idle"


def test_a_hundred_consoles_at_once_on_one_process(api: Api, customer: User, app: ConsoleApp):
    servers = [api.running_server(customer) for _ in range(4)]
    secrets = [link(api, customer, servers[n % 4]) for n in range(100)]

    async def hundred() -> list[int]:
        sockets = [Socket(app, f"/console/{secret}/websocket") for secret in secrets]
        await asyncio.gather(*(sock.open() for sock in sockets))
        viewers = await asyncio.gather(*(handshake(sock) for sock in sockets))
        await asyncio.gather(*(screen(viewer) for viewer in viewers))
        assert app.proxy.sessions == 100
        lit = [viewer.lit_pixels() for viewer in viewers]
        await asyncio.gather(*(sock.leave() for sock in sockets))
        assert app.proxy.sessions == 0
        return lit

    lit = run(hundred())
    assert len(lit) == 100 and min(lit) > 500


def test_the_page_its_state_and_novnc_come_from_our_origin(api: Api, customer: User, app):
    server = api.running_server(customer)
    secret = link(api, customer, server)
    page = run(http(app, f"/console/{secret}"))
    assert page["status"] == 200
    assert page["headers"][b"referrer-policy"] == b"no-referrer"
    assert b"default-src 'self'" in page["headers"][b"content-security-policy"]
    assert b'src="/console/assets/console.js"' in page["body"] and b"https://" not in page["body"]
    rfb = run(http(app, "/console/novnc/core/rfb.js"))
    assert rfb["status"] == 200 and rfb["headers"][b"content-type"] == b"text/javascript"
    for path in ("/console/novnc/core/../../package.json", "/console/novnc/app/ui.js"):
        assert run(http(app, path))["status"] == 404
    assert run(http(app, "/console/made-up"))["status"] == 404
    assert json.loads(run(http(app, "/console/made-up/state"))["body"])["state"] == "unknown"
    assert run(http(app, f"/console/{secret}", method="POST"))["status"] == 405


async def http(app: ConsoleApp, path: str, method: str = "GET") -> dict[str, Any]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path, "headers": [], "client": CLIENT}
    await app(scope, receive, send)
    return {
        "status": sent[0]["status"],
        "headers": dict(sent[0]["headers"]),
        "body": b"".join(m.get("body", b"") for m in sent[1:]),
    }
