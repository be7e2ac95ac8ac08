"""Where the live feed runs.

- The sandbox: one process holds everything, so its API answers Socket.IO at `/socket.io/` on its
  own port. The process serves ASGI: sockets live on the event loop and the Falcon API runs in a
  pool of threads beside it (a2wsgi), so a socket never holds a request thread.
- PostgreSQL: `hostprovider realtime --bind HOST:PORT`, any number of them. Each listens to the
  schedulers' events through LISTEN/NOTIFY and serves its own sockets; a reverse proxy puts
  `/socket.io/` on the API's origin (README).
"""

from __future__ import annotations

from typing import Any

from adapters.events import LocalEventBus
from entrypoints.config import ConfigError, Settings
from entrypoints.preflight import check_shared_infrastructure, host_port
from entrypoints.realtime.server import LiveFeed

API_THREADS = 8  # the sandbox API's request threads, as under gunicorn's gthread worker before


def sandbox_asgi(
    falcon_app: Any, runtime: Any, bus: LocalEventBus, settings: Settings, consoles: Any = None
) -> Any:
    """The sandbox's one application: Socket.IO, the console (with a gateway, `consoles`), and
    the API for every other path."""
    from a2wsgi import WSGIMiddleware

    from entrypoints.gunicorn_worker import JsonLimitsAsgi

    feed = LiveFeed(runtime, recheck_seconds=settings.monitor_seconds)
    bus.subscribe(feed.relay_threadsafe)
    app = feed.asgi_app(WSGIMiddleware(falcon_app, workers=API_THREADS))
    if consoles is not None:
        app = console_app(runtime, consoles, app, settings)
    return JsonLimitsAsgi(app)


def console_app(runtime: Any, gateway: Any, other_app: Any, settings: Settings) -> Any:
    """/console/ (the page and its websocket) in front of `other_app`."""
    from entrypoints.console.app import ConsoleApp

    return ConsoleApp(
        runtime,
        gateway,
        other_app,
        idle_seconds=settings.console_idle_seconds,
        trusted_proxies=settings.trusted_proxies,
    )


def realtime_asgi(settings: Settings) -> Any:
    """A realtime process's application: Socket.IO fed by PostgreSQL notifications, and the
    customers' consoles at /console/."""
    from adapters.postgres.events import listen
    from entrypoints.container import build

    assert settings.database_url is not None  # `realtime` refuses to start without one
    container = build(settings)
    feed = LiveFeed(container.runtime(), recheck_seconds=settings.monitor_seconds)
    conninfo = settings.database_url

    async def relay_notifications() -> None:
        await listen(conninfo, feed.relay)

    app = feed.asgi_app(background=[relay_notifications])
    return console_app(container.runtime(), container.console_gateway(), app, settings)


def realtime(settings: Settings, bind: str) -> int:
    import uvicorn

    if settings.database_url is None:
        raise ConfigError(
            "hostprovider realtime needs HOSTPROVIDER_DATABASE_URL; the sandbox's API serves "
            "/socket.io/ itself"
        )
    host, port = host_port(bind)
    from entrypoints.database import check_database
    from entrypoints.infrastructure import check_firewalls

    check_shared_infrastructure(settings)
    check_database(settings)
    check_firewalls(settings)
    app = realtime_asgi(settings)
    config = uvicorn.Config(
        app, host=host, port=port, lifespan="on", log_level="warning", access_log=False
    )
    uvicorn.Server(config).run()
    return 0
