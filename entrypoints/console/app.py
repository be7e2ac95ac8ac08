"""/console/...: the page, its files, noVNC's files, the link's state, and the websocket.

An ASGI application in front of another (the sandbox's API, or nothing in `hostprovider
realtime`): paths below /console/ are served here, every other path is passed on. Everything
here waits on the event loop; what reads the store runs in worker threads.

- `GET /console/<link>`: the page (200), or the page saying why not (404 unknown, 410 spent or
  lapsed). The link is in the path, so the page is never cached and sends no Referer.
- `GET /console/<link>/state`: `{"state", "reason"}`, for the page to say why a session ended.
- `GET /console/novnc/core/...`, `.../vendor/...`: noVNC as npm installed it
  (entrypoints/console/novnc/, `make` installs it); `/console/assets/...`: the page's own files.
- websocket `/console/<link>/websocket`: entrypoints/console/proxy.py.
"""

from __future__ import annotations

import asyncio
import json
import logging
import mimetypes
from pathlib import Path
from typing import Any

from domain.model.errors import DomainError, LinkNotFound
from domain.usecases.console import console_link
from domain.usecases.runtime import Runtime
from entrypoints.console.page import page
from entrypoints.console.proxy import ConsoleProxy, ViewerSocket
from entrypoints.http.client_address import ClientAddress
from ports.console import ConsoleGateway

log = logging.getLogger("hostprovider.console")

PREFIX = "/console/"
HERE = Path(__file__).parent
NOVNC = HERE / "novnc" / "node_modules" / "@novnc" / "novnc"
ASSETS = HERE / "static"
STATIC_ROOTS = {"novnc/core": NOVNC / "core", "novnc/vendor": NOVNC / "vendor", "assets": ASSETS}
PAGE_HEADERS = [
    (b"cache-control", b"no-store"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data: blob:; style-src 'self'; "
        b"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    ),
]


class ConsoleApp:
    def __init__(
        self,
        runtime: Runtime,
        gateway: ConsoleGateway,
        other_app: Any = None,
        *,
        idle_seconds: float,
        recheck_seconds: float = 5.0,
        trusted_proxies: tuple[str, ...] = (),
    ) -> None:
        self.runtime = runtime
        self.other_app = other_app
        self.proxy = ConsoleProxy(
            runtime, gateway, idle_seconds=idle_seconds, recheck_seconds=recheck_seconds
        )
        self.clients = ClientAddress(trusted_proxies)
        if not (NOVNC / "core" / "rfb.js").is_file():
            log.warning("noVNC is not installed (make %s): the console page cannot load", NOVNC)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        path: str = scope.get("path", "")
        if scope["type"] not in ("http", "websocket") or not path.startswith(PREFIX):
            if self.other_app is None:
                await _not_found(scope, receive, send)
                return
            await self.other_app(scope, receive, send)
            return
        rest = path[len(PREFIX) :]
        if scope["type"] == "websocket":
            secret, _, tail = rest.partition("/")
            viewer = ViewerSocket(scope, receive, send)
            if tail != "websocket":
                if await viewer.connected():
                    await viewer.deny(404, "no such console")
                return
            await self.proxy.serve(viewer, secret, self._client(scope))
            return
        if scope.get("method") not in ("GET", "HEAD"):
            await _answer(send, 405, b"text/plain", b"method not allowed\n", [(b"allow", b"GET")])
            return
        await self._http(rest, send)

    async def _http(self, rest: str, send: Any) -> None:
        for prefix, root in STATIC_ROOTS.items():
            if rest.startswith(prefix + "/"):
                await _static(send, root, rest[len(prefix) + 1 :])
                return
        secret, _, tail = rest.partition("/")
        try:
            link, state = await asyncio.to_thread(console_link, self.runtime, secret)
        except LinkNotFound:
            link, state = None, "unknown"
        except DomainError:
            await _answer(
                send, 503, b"text/plain", b"try again shortly\n", [(b"retry-after", b"5")]
            )
            return
        reason = link.end_reason.value if link and link.end_reason else None
        if tail == "state":
            body = json.dumps({"state": state, "reason": reason}).encode()
            status = 404 if link is None else 200
            await _answer(
                send, status, b"application/json", body, [(b"cache-control", b"no-store")]
            )
            return
        if tail:
            await _answer(send, 404, b"text/plain", b"not found\n")
            return
        status = {"unknown": 404, "ready": 200, "open": 200}.get(state, 410)
        html = page(state, reason, link.server_id if link else None, self.proxy.idle_seconds)
        await _answer(send, status, b"text/html; charset=utf-8", html.encode(), PAGE_HEADERS)

    def _client(self, scope: dict[str, Any]) -> str:
        peer = (scope.get("client") or ("", 0))[0] or ""
        headers = dict(scope.get("headers") or [])
        forwarded = headers.get(b"x-forwarded-for", b"").decode("latin-1")
        return self.clients.resolve(peer, forwarded)


async def _static(send: Any, root: Path, relative: str) -> None:
    try:
        target = (root / relative).resolve()
        inside = target.is_relative_to(root.resolve()) and target.is_file()
    except (OSError, ValueError):
        inside = False
    if not inside:
        await _answer(send, 404, b"text/plain", b"not found\n")
        return
    kind = "text/javascript" if target.suffix == ".js" else mimetypes.guess_type(target.name)[0]
    body = await asyncio.to_thread(target.read_bytes)
    headers = [(b"cache-control", b"public, max-age=3600"), (b"x-content-type-options", b"nosniff")]
    await _answer(send, 200, (kind or "application/octet-stream").encode(), body, headers)


async def _answer(
    send: Any,
    status: int,
    content_type: bytes,
    body: bytes,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    all_headers = [
        (b"content-type", content_type),
        (b"content-length", str(len(body)).encode()),
        *(headers or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": all_headers})
    await send({"type": "http.response.body", "body": body})


async def _not_found(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "http":
        await _answer(send, 404, b"text/plain", b"not found\n")
    elif scope["type"] == "websocket":
        await receive()
        await send({"type": "websocket.close", "code": 4404})
