"""The limits a server enforces before the API sees a request (an over-long request line, too many
or too large headers), answered in the API's JSON error shape rather than the server's own page.

- On PostgreSQL `hostprovider serve` runs gunicorn's threaded worker with gunicorn's own limits
  (limit_request_line, limit_request_fields, limit_request_field_size); `JsonLimitsWorker` only
  changes how they are answered.
- The sandbox serves ASGI under uvicorn, which has no such limits of its own below h11's 16 KiB
  for a whole head: `JsonLimitsAsgi` holds it to gunicorn's defaults, the same answers alike."""

from __future__ import annotations

import json
from typing import Any

from gunicorn import util
from gunicorn.http.errors import LimitRequestHeaders, LimitRequestLine
from gunicorn.workers.gthread import ThreadWorker

# status, reason, code, message
_ANSWERS: tuple[tuple[type[Exception], int, str, str, str], ...] = (
    (LimitRequestLine, 414, "URI Too Long", "uri_too_long", "the request line is too long"),
    (
        LimitRequestHeaders,
        431,
        "Request Header Fields Too Large",
        "headers_too_large",
        "the request headers are too many or too large",
    ),
)


# gunicorn's defaults, which the sandbox's ASGI server is held to as well.
MAX_REQUEST_LINE = 4094
MAX_HEADER_FIELDS = 100
MAX_HEADER_FIELD = 8190


def error_body(code: str, message: str) -> bytes:
    return json.dumps({"error": message, "code": code, "details": {}}).encode()


def json_error(status: int, reason: str, code: str, message: str) -> bytes:
    """A complete HTTP response carrying `{"error", "code", "details"}`; the connection closes."""
    body = error_body(code, message)
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        "Cache-Control: no-store\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body


class JsonLimitsWorker(ThreadWorker):  # type: ignore[misc]
    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        for kind, status, reason, code, message in _ANSWERS:
            if isinstance(exc, kind):
                self.log.warning("Invalid request from ip=%s: %s", (addr or ("",))[0], exc)
                try:
                    util.write_nonblock(client, json_error(status, reason, code, message))
                except Exception:  # noqa: BLE001  # the client went away: nothing to answer
                    self.log.debug("Failed to send error message.")
                return
        super().handle_error(req, client, addr, exc)


class JsonLimitsAsgi:
    """ASGI middleware: gunicorn's limits on the request line and headers, answered alike."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        refused = _over_limits(scope) if scope["type"] in ("http", "websocket") else None
        if refused is None:
            await self.app(scope, receive, send)
            return
        _, status, _, code, message = refused
        if scope["type"] == "websocket":  # no HTTP answer on a socket: close it as refused
            await send({"type": "websocket.close", "code": 1009})
            return
        body = error_body(code, message)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"x-content-type-options", b"nosniff"),
                    (b"cache-control", b"no-store"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _over_limits(scope: dict[str, Any]) -> tuple[type[Exception], int, str, str, str] | None:
    target = scope.get("raw_path") or scope["path"].encode()
    if scope.get("query_string"):
        target += b"?" + scope["query_string"]
    # "GET /target HTTP/1.1", as gunicorn measures the line
    line = len(scope.get("method", "GET")) + 1 + len(target) + 1 + len("HTTP/1.1")
    if line > MAX_REQUEST_LINE:
        return _ANSWERS[0]
    headers = scope.get("headers", [])
    too_long = any(len(name) + 2 + len(value) > MAX_HEADER_FIELD for name, value in headers)
    if len(headers) > MAX_HEADER_FIELDS or too_long:
        return _ANSWERS[1]
    return None
