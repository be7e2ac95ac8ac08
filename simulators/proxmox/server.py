"""The HTTP side: pveproxy's envelope, token auth, schema checks, routing, error shapes.

Success is `200 {"data": ...}`; an error carries its message as the HTTP reason phrase (first line)
and, as pve-http-server 5.2+ does, as `message` in the body; parameter errors are 400 with
`errors`; an unknown path or method is 501. Like pveproxy, the connection is closed after any
answer with status 400 or more, and kept alive otherwise.
"""

from __future__ import annotations

import json
import re
import ssl
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlsplit

from simulators.proxmox.call import Reply
from simulators.proxmox.console import ConsoleUpgrade, relay_websocket
from simulators.proxmox.model import PveError

if TYPE_CHECKING:
    from simulators.proxmox.simulator import ProxmoxSimulator

API_PREFIX = "/api2/json"
MAX_BODY = 512 * 1024
_TOKEN = re.compile(
    r"^PVEAPIToken[= ](?P<token>[^=\s@]+@[^=\s!]+![A-Za-z][A-Za-z0-9._-]+)=(?P<secret>\S+)$"
)
# Options only root@pam may pass; PVE refuses them for every API token.
ROOT_ONLY = ("skiplock", "keepActive", "migratedfrom")


def _form_values(pairs: list[tuple[str, str]]) -> dict[str, str]:
    return dict(pairs)


def _json_values(body: bytes) -> dict[str, str]:
    """A JSON body must be an object; booleans become 1/0, as PVE's JSON decoding makes them."""
    decoded = json.loads(body)
    if not isinstance(decoded, dict):
        raise PveError(400, "Not a HASH reference")
    values: dict[str, str] = {}
    for key, value in decoded.items():
        if isinstance(value, bool):
            values[key] = "1" if value else "0"
        elif value is not None:
            values[key] = value if isinstance(value, str) else json.dumps(value)
    return values


class SimulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        simulator: ProxmoxSimulator,
        tls: ssl.SSLContext | None,
        address: tuple[str, int] = ("127.0.0.1", 0),
    ) -> None:
        super().__init__(address, PveRequestHandler)
        self.simulator = simulator
        self.tls = tls
        self.accepted = 0  # connections taken, so tests can see keep-alive at work

    def get_request(self) -> tuple[Any, Any]:
        """TLS is wrapped per connection, and the handshake done in the connection's own thread,
        so a slow or plain-HTTP client cannot stall the accept loop."""
        connection, address = super().get_request()
        self.accepted += 1
        if self.tls is not None:
            connection = self.tls.wrap_socket(
                connection, server_side=True, do_handshake_on_connect=False
            )
        return connection, address


class PveRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "pve-api-daemon/3.0"
    sys_version = ""
    timeout = 30  # an idle kept-alive connection does not hold a thread forever
    # Replies are written in several small pieces; without this, delayed ACKs hold each one back
    # for about 40 ms on a kept-alive connection.
    disable_nagle_algorithm = True
    server: SimulatorServer

    def setup(self) -> None:
        super().setup()
        self.broken = False
        if isinstance(self.connection, ssl.SSLSocket):
            try:
                self.connection.do_handshake()
            except (ssl.SSLError, OSError):
                self.broken = True  # e.g. plain HTTP sent to the TLS port

    def handle(self) -> None:
        if self.broken:
            return
        try:
            super().handle()
        except (ssl.SSLError, ConnectionError, TimeoutError):
            self.close_connection = True  # a client that broke off; nothing to answer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base signature
        """Quiet: the simulator records requests in `.requests` instead."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._serve("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._serve("POST")

    def do_PUT(self) -> None:  # noqa: N802
        self._serve("PUT")

    def do_DELETE(self) -> None:  # noqa: N802
        self._serve("DELETE")

    # --- one request ---------------------------------------------------------------------------
    def _serve(self, method: str) -> None:
        simulator = self.server.simulator
        url = urlsplit(self.path)
        body = self._body()
        if not url.path.startswith(API_PREFIX + "/"):
            self._fail(PveError(501, f"Method '{method} {url.path}' not implemented"))
            return
        path = unquote(url.path[len(API_PREFIX) :])
        simulator.record_request(method, path)
        user = self._authenticated(simulator)
        if user is None:
            return
        try:
            params = self._parameters(method, url.query, body)
        except (PveError, ValueError) as error:
            simulator.violations.append(f"{method} {path}: unreadable body: {error}")
            self._fail(error if isinstance(error, PveError) else PveError(400, "invalid body"))
            return
        simulator.holds.pause(method, path, before=True)
        try:
            reply = simulator.dispatch(method, path, params, user)
        except PveError as error:
            simulator.holds.pause(method, path, before=False)
            self._fail(error)
            return
        except Exception:  # a simulator bug: make it loud in the failing test
            failure = traceback.format_exc()
            simulator.violations.append(f"simulator error on {method} {path}: {failure}")
            self._fail(PveError(500, "internal simulator error"))
            return
        simulator.holds.pause(method, path, before=False)
        if isinstance(reply, ConsoleUpgrade):
            if (self.headers.get("Upgrade") or "").lower() == "websocket":
                relay_websocket(self, reply, simulator.cluster)
                return
            with simulator.cluster.lock:  # a plain GET leaves the port to its websocket
                reply.console.connected = False
            reply = reply.data
        data, extra = (reply.data, reply.extra) if isinstance(reply, Reply) else (reply, {})
        self._send(200, "OK", {"data": data, **extra})

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _parameters(self, method: str, query: str, body: bytes) -> dict[str, str]:
        """GET/DELETE take the query string; POST/PUT a form or JSON body, with the query
        string merged over it (as PVE does)."""
        if len(body) > MAX_BODY:
            raise PveError(413, "Request Entity Too Large")
        params: dict[str, str] = {}
        if method in ("POST", "PUT") and body:
            kind = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if kind == "application/json":
                params.update(_json_values(body))
            else:
                text = body.decode("utf-8")
                params.update(_form_values(parse_qsl(text, keep_blank_values=True)))
        params.update(_form_values(parse_qsl(query, keep_blank_values=True)))
        return params

    def _authenticated(self, simulator: ProxmoxSimulator) -> str | None:
        header = unquote(self.headers.get("Authorization") or "")
        found = _TOKEN.match(header)
        if found and simulator.accepts(found.group("token"), found.group("secret")):
            return found.group("token")
        if simulator.auth_failure_delay:
            time.sleep(simulator.auth_failure_delay)  # PVE slows down failed logins (~3 s)
        self._send(401, "Authentication failed!", None)
        return None

    # --- answers -------------------------------------------------------------------------------
    def _fail(self, error: PveError) -> None:
        body: dict[str, Any] = {"data": None, "message": error.message + "\n"}
        if error.errors:
            body["errors"] = error.errors
        self._send(error.status, error.message.splitlines()[0] if error.message else "", body)

    def _send(self, status: int, reason: str, body: dict[str, Any] | None) -> None:
        payload = json.dumps(body, separators=(",", ":")).encode() if body is not None else b""
        self.send_response(status, reason)
        self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Cache-Control", "max-age=0")
        self.send_header("Pragma", "no-cache")
        if status >= 400:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(payload)


def serve(
    simulator: ProxmoxSimulator,
    tls_cert: str | None,
    tls_key: str | None,
    address: tuple[str, int] = ("127.0.0.1", 0),
) -> tuple[SimulatorServer, threading.Thread]:
    context = None
    if tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(tls_cert, tls_key)
    server = SimulatorServer(simulator, context, address)
    port = server.server_address[1]
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        daemon=True,
        name=f"pve-simulator-{port}",
    )
    thread.start()
    return server, thread
