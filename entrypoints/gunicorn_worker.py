"""The gunicorn worker `hostprovider serve` runs: gunicorn's threaded worker, except that the two
limits gunicorn enforces before the API sees a request (an over-long request line, too many or too
large headers) are answered in the API's JSON error shape rather than gunicorn's HTML page.

The limits themselves stay gunicorn's (limit_request_line, limit_request_fields and
limit_request_field_size): they bound what a client can make the server read."""

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


def json_error(status: int, reason: str, code: str, message: str) -> bytes:
    """A complete HTTP response carrying `{"error", "code", "details"}`; the connection closes."""
    body = json.dumps({"error": message, "code": code, "details": {}}).encode()
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
