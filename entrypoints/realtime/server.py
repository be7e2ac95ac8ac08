"""The live feed over Socket.IO (protocol 5; the npm `socket.io-client` 4.x of the seed speaks it).

A client connects with `io(url, {auth: {token}})`, or from a browser on our origin with the session
cookie, then emits `subscribe-server` / `unsubscribe-server` with a server id. After each
monitoring pass every subscriber of a server gets `server-stats`, and `server-alerts` when an alert
is raised or cleared.

Rules:
- no valid credentials, no connection (`connect_error`); a cookie is only taken from our own
  origin, so another site cannot ride a customer's session;
- subscribing to a server that is not the caller's (or not there) answers `error`
  `{"error": "server 7 not found"}`, the same words for both, and subscribes to nothing;
- every `recheck_seconds` the credentials of each socket are checked again: a revoked token or a
  suspended account loses its sockets within one monitoring interval.

The server runs on an asyncio loop: a socket costs a coroutine, never a request thread. What needs
the database (credentials, ownership) runs in worker threads through the domain's use cases.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlsplit

import socketio

from domain.model.errors import AuthenticationFailed, DomainError
from domain.model.scopes import Scope, allows
from domain.usecases.accounts import authenticate
from domain.usecases.actors import Actor
from domain.usecases.runtime import Runtime
from domain.usecases.servers import get_server
from entrypoints.http.middleware import SESSION_COOKIE
from entrypoints.realtime.wire import MESSAGES, server_of

log = logging.getLogger("hostprovider.realtime")

SOCKETIO_PATH = "socket.io"


def room(server_id: int) -> str:
    return f"server:{server_id}"


class LiveFeed:
    def __init__(self, runtime: Runtime, *, recheck_seconds: float = 30.0) -> None:
        self.runtime = runtime
        self.recheck_seconds = recheck_seconds
        # Token clients may come from anywhere (the token is the proof); cookie clients are held
        # to our own origin in `connect`.
        self.sio = socketio.AsyncServer(
            async_mode="asgi", cors_allowed_origins="*", logger=False, engineio_logger=False
        )
        self._secrets: dict[str, str] = {}  # sid -> the credential it connected with
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self.sio.on("connect", self._connect)
        self.sio.on("disconnect", self._disconnect)
        self.sio.on("subscribe-server", self._subscribe)
        self.sio.on("unsubscribe-server", self._unsubscribe)

    # --- the ASGI application ----------------------------------------------------------------

    def asgi_app(self, other_asgi_app: Any = None, background: Iterable[Callable[..., Any]] = ()):
        """Socket.IO at /socket.io/, `other_asgi_app` (the API) for everything else. `background`
        coroutines (event sources) start with the server and are cancelled with it."""

        async def startup() -> None:
            self._loop = asyncio.get_running_loop()
            for job in (self._recheck_forever, *background):
                self._tasks.append(asyncio.create_task(job()))

        async def shutdown() -> None:
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

        return socketio.ASGIApp(
            self.sio,
            other_asgi_app=other_asgi_app,
            socketio_path=SOCKETIO_PATH,
            on_startup=startup,
            on_shutdown=shutdown,
        )

    # --- events in -----------------------------------------------------------------------------

    async def relay(self, channel: str, payload: dict[str, Any]) -> None:
        """One published event to the subscribers of its server."""
        shape = MESSAGES.get(channel)
        server_id = server_of(payload)
        if shape is None or server_id is None:
            return
        try:
            message = shape(payload)
        except (KeyError, TypeError, ValueError):
            log.warning("a malformed %s event was not relayed", channel)
            return
        await self.sio.emit(channel, message, room=room(server_id))

    def relay_threadsafe(self, channel: str, payload: dict[str, Any]) -> None:
        """For publishers on other threads (the sandbox's scheduler): hand over and return."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            asyncio.run_coroutine_threadsafe(self.relay(channel, payload), loop)

    # --- the client's side ---------------------------------------------------------------------

    async def _connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        token = _token_from(auth)
        secret = token or _cookie_from(environ)
        if secret is None:
            raise socketio.exceptions.ConnectionRefusedError("authentication required")
        if token is None and not _same_origin(environ):
            raise socketio.exceptions.ConnectionRefusedError("cookies only from our own origin")
        try:
            actor = await asyncio.to_thread(authenticate, self.runtime, secret)
        except AuthenticationFailed:
            raise socketio.exceptions.ConnectionRefusedError("invalid credentials") from None
        except DomainError:  # the database is away: refuse now, the client retries
            raise socketio.exceptions.ConnectionRefusedError("try again shortly") from None
        if not allows(actor.scopes, Scope.SERVERS_READ):  # the feed is servers' figures
            raise socketio.exceptions.ConnectionRefusedError("the token lacks servers:read")
        self._secrets[sid] = secret
        await self.sio.save_session(sid, {"actor": actor})

    async def _disconnect(self, sid: str, *_: Any) -> None:
        self._secrets.pop(sid, None)

    async def _subscribe(self, sid: str, data: Any) -> None:
        server_id = _server_id(data)
        session = await self.sio.get_session(sid)
        actor: Actor = session["actor"]
        if server_id is None:
            await self.sio.emit("error", {"error": "subscribe with a server id"}, to=sid)
            return
        try:
            await asyncio.to_thread(get_server, self.runtime, actor, server_id)
        except DomainError:  # not found and not yours answer alike
            await self.sio.emit("error", {"error": f"server {server_id} not found"}, to=sid)
            return
        await self.sio.enter_room(sid, room(server_id))

    async def _unsubscribe(self, sid: str, data: Any) -> None:
        server_id = _server_id(data)
        if server_id is not None:
            await self.sio.leave_room(sid, room(server_id))

    async def _recheck_forever(self) -> None:
        while True:
            await asyncio.sleep(self.recheck_seconds)
            await self.recheck()

    async def recheck(self) -> None:
        """Disconnect every socket whose credential no longer holds."""
        for sid, secret in list(self._secrets.items()):
            try:
                await asyncio.to_thread(authenticate, self.runtime, secret)
            except AuthenticationFailed:
                await self.sio.disconnect(sid)
            except DomainError:
                continue  # the database is away: judge again at the next turn


def _server_id(data: Any) -> int | None:
    """The seed sends a bare number; `{"serverId": n}` is taken too."""
    if isinstance(data, dict):
        data = data.get("serverId")
    return data if type(data) is int and 0 < data < 2**63 else None


def _token_from(auth: Any) -> str | None:
    token = auth.get("token") if isinstance(auth, dict) else None
    if isinstance(token, str) and token.lower().startswith("bearer "):
        token = token[7:]
    return token if isinstance(token, str) and token else None


def _cookie_from(environ: dict[str, Any]) -> str | None:
    cookie = SimpleCookie()
    try:
        cookie.load(environ.get("HTTP_COOKIE", ""))
    except Exception:  # a malformed header is no credential
        return None
    morsel = cookie.get(SESSION_COOKIE)
    return morsel.value if morsel is not None and morsel.value else None


def _same_origin(environ: dict[str, Any]) -> bool:
    origin = environ.get("HTTP_ORIGIN")
    host = environ.get("HTTP_HOST")
    if not origin or not host:
        return False
    return urlsplit(origin).netloc == host
