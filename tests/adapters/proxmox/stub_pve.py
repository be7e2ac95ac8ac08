"""A scripted stand-in for a PVE API endpoint, for client tests that need exact replies (a given
status, reason phrase and body) rather than the simulator's behaviour. Real HTTP on loopback."""

from __future__ import annotations

import json
import ssl
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import attrs


@attrs.frozen
class Reply:
    status: int = 200
    data: Any = None
    reason: str | None = None  # PVE puts the error message in the reason phrase
    body: dict[str, Any] | None = None  # replaces the {"data": ...} envelope when given


@attrs.frozen
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    form: dict[str, list[str]]
    headers: dict[str, str]


class StubPve:
    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.replies: dict[tuple[str, str], deque[Reply]] = {}
        self.seen: list[Seen] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # keep test output quiet
                pass

            def _serve(self) -> None:
                url = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode()) if length else {}
                stub.seen.append(
                    Seen(self.command, url.path, parse_qs(url.query), form, dict(self.headers))
                )
                queue = stub.replies.get((self.command, url.path))
                reply = queue.popleft() if queue else Reply(501, reason="not implemented")
                if queue is not None and not queue:
                    stub.replies.pop((self.command, url.path), None)
                body = json.dumps(reply.body if reply.body is not None else {"data": reply.data})
                self.send_response(reply.status, reply.reason)
                self.send_header("Content-Type", "application/json;charset=UTF-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body.encode())

            do_GET = do_POST = do_PUT = do_DELETE = _serve

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        scheme = "https" if tls is not None else "http"
        self.url = f"{scheme}://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def reply(self, method: str, path: str, *replies: Reply) -> None:
        self.replies.setdefault((method, "/api2/json" + path), deque()).extend(replies)

    def calls(self, method: str, path: str) -> list[Seen]:
        return [s for s in self.seen if (s.method, s.path) == (method, "/api2/json" + path)]

    def __enter__(self) -> StubPve:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
