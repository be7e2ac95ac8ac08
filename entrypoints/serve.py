"""`hostprovider serve`: the API under gunicorn.

With HOSTPROVIDER_DATABASE_URL: HOSTPROVIDER_WEB_WORKERS processes, each opening its own pool after
the fork, and no scheduler (run `hostprovider scheduler` beside it). Without a database this is the
sandbox: one worker process (memory stores live in one process) with threads, the scheduler inside
it, the sandbox catalogue, and an admin account whose credentials are printed once."""

from __future__ import annotations

import logging
from typing import Any

import falcon
from gunicorn.app.base import BaseApplication

from domain.model.accounts import Role, check_password_policy
from domain.model.commands import NewAccount
from domain.model.credentials import normalize_email
from domain.model.errors import AlreadyExists, ValidationError
from domain.usecases.accounts import register
from entrypoints.config import ConfigError, Settings
from entrypoints.container import Container, build, for_postgres, for_sandbox
from entrypoints.mail import require_mail_decision


def sandbox_app(settings: Settings) -> tuple[falcon.App, Container]:
    from adapters.memory import InlineJobQueue
    from entrypoints.http.app import create_app
    from entrypoints.scheduler.in_process import InProcessScheduler
    from entrypoints.scheduler.ticks import ticks

    # The scheduler thread works the jobs off; requests return at once.
    container = for_sandbox(settings, run_jobs_inline=False)
    jobs: InlineJobQueue = container.job_queue()
    runtime = container.runtime()
    _ensure_admin(runtime, settings)
    InProcessScheduler(runtime, jobs, ticks=ticks(settings.monitor_seconds)).start()
    app = create_app(
        runtime,
        max_body_bytes=settings.max_body_bytes,
        requests_per_minute=settings.requests_per_minute,
        trusted_proxies=settings.trusted_proxies,
    )
    return app, container


def sandbox_asgi_app(settings: Settings) -> Any:
    """The sandbox API with its live feed at /socket.io/ on the same port."""
    from entrypoints.realtime.run import sandbox_asgi

    app, container = sandbox_app(settings)
    return sandbox_asgi(
        app, container.runtime(), container.event_bus(), settings, container.console_gateway()
    )


def prepare_database(settings: Settings) -> None:
    """What `serve` does once, before any worker starts: the configured admin made. The workers
    then need nothing of the database to boot."""
    container = build(settings)
    try:
        if settings.admin_email and settings.admin_password:  # else: `hostprovider admin create`
            _ensure_admin(container.runtime(), settings)
    finally:
        container.pool().close()  # the master forks the workers: no pool, no threads here


def database_app(settings: Settings) -> tuple[falcon.App, Container]:
    """The API on PostgreSQL: no scheduler here (`hostprovider scheduler` is its own process), so
    any number of workers may serve. Called in each gunicorn worker, which opens its own pool.

    A worker boots whether or not the database answers: its pool connects in the background, and
    until it does, requests (and /readyz) answer 503 with Retry-After. A worker that failed to
    boot instead would make gunicorn shut the whole API down."""
    from adapters.postgres.pool import make_pool, open_in_background
    from entrypoints.http.app import create_app

    assert settings.database_url is not None
    pool = open_in_background(make_pool(settings.database_url, size=settings.db_pool_size))
    container = for_postgres(settings, pool=pool)
    app = create_app(
        container.runtime(),
        max_body_bytes=settings.max_body_bytes,
        requests_per_minute=settings.requests_per_minute,
        trusted_proxies=settings.trusted_proxies,
    )
    return app, container


def _ensure_admin(runtime: Any, settings: Settings) -> None:
    email = settings.admin_email or "admin@oxnack.example"
    password = settings.admin_password or runtime.secrets.password()
    try:
        register(runtime, NewAccount(email, password, role=Role.ADMIN))
    except AlreadyExists:
        return
    shown = password if not settings.admin_password else "(from HOSTPROVIDER_ADMIN_PASSWORD)"
    print(f"admin email: {email} password: {shown}", flush=True)


def _admin_password_policy(password: str) -> str:
    from adapters.security.common_passwords import common_passwords

    return check_password_policy(password, common_passwords())


def _check_admin_settings(settings: Settings) -> None:
    """A bad admin e-mail or password stops the command with the variable to fix, before gunicorn
    starts; found in the worker, it would be a traceback and "Worker failed to boot"."""
    checks = (
        ("HOSTPROVIDER_ADMIN_EMAIL", settings.admin_email, normalize_email),
        ("HOSTPROVIDER_ADMIN_PASSWORD", settings.admin_password, _admin_password_policy),
    )
    for variable, value, check in checks:
        if value is None:
            continue
        try:
            check(value)
        except ValidationError as ex:
            raise ConfigError(f"{variable}: {ex.message}") from None


log = logging.getLogger("hostprovider.serve")
WORKER_BOOT_ERROR = 3  # gunicorn's code for it: the master stops rather than respawn in a loop


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, settings: Settings, options: dict[str, Any]) -> None:
        self.settings, self.options = settings, options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)
        if "control_socket_disable" in self.cfg.settings:  # gunicorn 25.1+
            # Its default path is per user ($XDG_RUNTIME_DIR or ~/.gunicorn), so a second sandbox on
            # the machine would take over the first one's socket; nothing here uses gunicornc.
            self.cfg.set("control_socket_disable", True)

    def load(self) -> Any:
        try:
            return app_for(self.settings)
        except Exception:  # noqa: BLE001 - any failure to boot is reported the same way
            # One JSON line with the traceback, instead of gunicorn's raw print of the message.
            log.exception("the worker could not start")
            raise SystemExit(WORKER_BOOT_ERROR) from None


def check_before_start(settings: Settings) -> None:
    """What the gunicorn master checks before any worker boots: a bad setting, missing shared
    infrastructure, an unmigrated database or a firewall refusing our key stops the start with
    one line (ConfigError), not "Worker failed to boot"."""
    from entrypoints.infrastructure import check_firewalls
    from entrypoints.preflight import check_settings, check_shared_infrastructure

    check_settings(settings)
    _check_admin_settings(settings)
    require_mail_decision(settings)
    check_shared_infrastructure(settings)
    if not settings.sandbox:
        from entrypoints.database import check_database

        check_database(settings)
    check_firewalls(settings)


def before_start(settings: Settings) -> None:
    """Everything the master does before the workers fork, whether `hostprovider serve` or
    gunicorn with deploy/gunicorn.conf.py starts it: the checks, then (on a database) the
    configured admin, once."""
    check_before_start(settings)
    if not settings.sandbox:
        prepare_database(settings)  # the workers then boot without the database


def app_for(settings: Settings) -> Any:
    """The application of one worker (after the fork: stores, threads and pools belong to the
    worker): the sandbox's ASGI app with its live feed, or the API on PostgreSQL."""
    if settings.sandbox:
        return sandbox_asgi_app(settings)
    app, _ = database_app(settings)
    return app


def gunicorn_options(settings: Settings, bind: str | None = None) -> dict[str, Any]:
    """The gunicorn settings of `hostprovider serve`, also read by deploy/gunicorn.conf.py."""
    from entrypoints import logs, metrics

    return {
        "bind": bind or settings.bind,
        # The sandbox keeps its state in one process, serving ASGI so that its live feed's sockets
        # wait on the event loop beside the API's threads; on PostgreSQL each worker has its own
        # pool of at most one connection per thread, and `hostprovider realtime` has the sockets.
        "workers": 1 if settings.sandbox else settings.web_workers,
        "threads": settings.db_pool_size,
        # On PostgreSQL gthread workers that answer gunicorn's own request-line and header limits
        # in JSON; the sandbox's ASGI app holds itself to the same limits.
        "worker_class": (
            "uvicorn_worker.UvicornWorker"
            if settings.sandbox
            else "entrypoints.gunicorn_worker.JsonLimitsWorker"
        ),
        "accesslog": None,  # our own JSON access log has the request id
        "logconfig_dict": logs.gunicorn_logconfig("serve"),
        "child_exit": lambda server, worker: metrics.worker_exited(worker.pid),
        "graceful_timeout": 10,
        "timeout": 60,
    }


def serve(settings: Settings, bind: str | None = None) -> int:
    from entrypoints import logs, metrics

    logs.configure("serve")
    before_start(settings)
    metrics.use_shared_directory()  # before the workers fork: they all write there
    _Gunicorn(settings, gunicorn_options(settings, bind)).run()
    return 0
