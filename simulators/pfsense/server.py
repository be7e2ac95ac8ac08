"""The HTTP side: parse a request, authenticate it, route it, answer with the envelope.

Order of checks, as a request meets them on the box: path (404 for an unknown endpoint), method
(405 / 501), authentication (BasicAuth, and `X-API-Key` once KeyAuth is enabled: 401),
authorization (the read-only key may only GET, 403), body (JSON only for writes), planned fault,
write lock (503), then the handler under the store's lock.
"""

from __future__ import annotations

import base64
import json
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from .envelope import ApiError, envelope, write_locked
from .faults import FRONT_PROXY_PAGES, Fault
from .handlers_common import Request
from .routes import ROUTES

if TYPE_CHECKING:
    from .simulator import PfSenseSimulator

WRITES = ("POST", "PUT", "PATCH", "DELETE")


def make_handler(sim: PfSenseSimulator) -> type[BaseHTTPRequestHandler]:
    class PfSenseHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # one buffered write per answer, no Nagle: headers and body leave in one segment instead
        # of waiting out the client's delayed ACK (~40 ms a request)
        wbufsize = 64 * 1024
        disable_nagle_algorithm = True
        server_version = "nginx"
        sys_version = ""

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
            pass  # quiet: tests read `sim.requests` instead

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

        def do_PUT(self) -> None:
            self._handle("PUT")

        def do_PATCH(self) -> None:
            self._handle("PATCH")

        def do_DELETE(self) -> None:
            self._handle("DELETE")

        def _handle(self, method: str) -> None:
            url = urlsplit(self.path)
            path = url.path.rstrip("/") or "/"
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            sim._record_request(method, path)
            fault: Fault | None = None
            try:
                request = self._prepare(method, path, url.query, raw)
                fault = sim._faults.take(method, path)
                if fault is not None and not fault.after_commit:
                    self._fail(fault)
                    return
                if method in WRITES and sim._write_lock.held():
                    raise write_locked(sim.retry_after)
                code, body = sim._dispatch(request)
                if fault is not None:  # the write happened; the answer is lost
                    self._fail(fault)
                    return
                self._send(code, body)
            except ApiError as error:
                if fault is not None:  # an after-commit fault waits for a write that succeeds
                    sim._faults.give_back(fault)
                if error.violation:
                    sim._record_violation(method, path, error)
                self._send(error.code, error.body(), error.headers)
            except Exception as exc:  # a simulator bug: answer 500 and make the test fail loudly
                bug = ApiError(500, "SIMULATOR_INTERNAL_ERROR", f"{type(exc).__name__}: {exc}")
                sim._record_violation(method, path, bug)
                self._send(500, bug.body())

        def _prepare(self, method: str, path: str, query: str, raw: bytes) -> Request:
            routes = ROUTES.get(path)
            if routes is None:
                raise ApiError(
                    404,
                    "SIMULATOR_ENDPOINT_NOT_FOUND",
                    f"The simulator serves no endpoint `{path}`.",
                    violation=True,
                )
            if method not in routes:
                raise ApiError(
                    405,
                    "ENDPOINT_METHOD_NOT_ALLOWED",
                    f"Resource at {path} does not support the {method} method.",
                    violation=True,
                )
            key = self._authenticate()
            if key == sim.read_only_api_key and method != "GET":
                raise ApiError(
                    403,
                    "AUTH_AUTHORIZATION_FAILED",
                    f"User does not have sufficient privileges to access {path} [{method}]",
                )
            if routes[method] is None:
                raise ApiError(
                    501,
                    "SIMULATOR_NOT_IMPLEMENTED",
                    f"{method} {path} exists on the box but is not simulated.",
                    violation=True,
                )
            params, items = self._parameters(method, query, raw)
            return sim._request(method, path, params, items)

        def _authenticate(self) -> str | None:
            """`Core/Auth.inc` attempt_multi_auth(): the first enabled method the request uses
            decides; none, or a wrong secret, is 401. `X-API-Key` counts only while KeyAuth is
            among the enabled `auth_methods` (by default it is not). Returns the key used."""
            methods = sim.store.setting("auth_methods")
            key = self.headers.get("X-API-Key")
            basic = self.headers.get("Authorization", "")
            for method in methods:
                if method == "KeyAuth" and key is not None:
                    if key in (sim.api_key, sim.read_only_api_key):
                        return key
                    break
                if method == "BasicAuth" and basic.startswith("Basic "):
                    if _basic(basic) == sim.admin:
                        return None
                    break
            raise ApiError(401, "AUTH_AUTHENTICATION_FAILED", "Authentication failed.")

        def _parameters(
            self, method: str, query: str, raw: bytes
        ) -> tuple[dict[str, Any], list[Any] | None]:
            content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip()
            if raw and content_type == "application/json":
                try:
                    body = json.loads(raw)
                except ValueError:
                    raise ApiError(
                        400, "SIMULATOR_INVALID_JSON", "The body is not valid JSON.", violation=True
                    ) from None
                if query:  # the package reads one or the other, never both
                    raise ApiError(
                        400,
                        "SIMULATOR_MIXED_QUERY_AND_BODY",
                        "Send parameters in the query string or in the JSON body, not both.",
                        violation=True,
                    )
                if isinstance(body, list):
                    return {}, body
                if not isinstance(body, dict):
                    raise ApiError(
                        400, "SIMULATOR_INVALID_JSON", "The body must be an object.", violation=True
                    )
                return body, None
            if method in ("POST", "PUT", "PATCH"):
                if raw or content_type:
                    raise ApiError(
                        415,
                        "SIMULATOR_WRITES_MUST_BE_JSON",
                        "Send writes as application/json (form encoding only guesses types).",
                        violation=True,
                    )
                return {}, None
            pairs = parse_qs(query, keep_blank_values=True)
            return {k: v[0] if len(v) == 1 else v for k, v in pairs.items()}, None

        def _fail(self, fault: Fault) -> None:
            if fault.status == 0:
                self.close_connection = True  # no answer at all: the client sees a dropped line
                return
            if fault.status in FRONT_PROXY_PAGES:
                title = FRONT_PROXY_PAGES[fault.status]
                page = (
                    f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
                    f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n"
                    "</body>\r\n</html>\r\n"
                )
                self._send_bytes(fault.status, page.encode(), "text/html", {})
                return
            if fault.status == 503:
                error = write_locked(fault.retry_after)
                if fault.message:
                    error.message = fault.message
                self._send(503, error.body(), error.headers)
                return
            body = envelope(
                fault.status,
                fault.response_id or "SIMULATED_FAULT",
                fault.message or "Injected by the simulator.",
                [],
            )
            self._send(fault.status, body)

        def _send(self, code: int, body: dict[str, Any], headers: dict[str, str] | None = None):
            self._send_bytes(code, json.dumps(body).encode(), "application/json", headers or {})

        def _send_bytes(
            self, code: int, payload: bytes, content_type: str, headers: dict[str, str]
        ) -> None:
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

    return PfSenseHandler


def _basic(header: str) -> tuple[str, str] | None:
    try:
        user, _, password = base64.b64decode(header[6:].strip()).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return user, password
