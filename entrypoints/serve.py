"""`hostprovider serve`: the API under gunicorn.

Without a database this is the sandbox: one worker process (memory stores live in one process) with
threads, the scheduler inside it, the sandbox catalogue, and an admin account whose credentials are
printed once."""

from __future__ import annotations

import logging
import sys
from typing import Any

import falcon
from gunicorn.app.base import BaseApplication

from domain.model.accounts import Role, check_password_policy, normalize_email
from domain.model.errors import AlreadyExists, ValidationError
from domain.usecases.accounts import register
from entrypoints.config import ConfigError, Settings
from entrypoints.container import Container, build


def sandbox_app(settings: Settings) -> tuple[falcon.App, Container]:
    from adapters.memory import InlineJobQueue
    from entrypoints.http.app import create_app
    from entrypoints.scheduler.in_process import InProcessScheduler

    jobs = InlineJobQueue(auto_run=False)  # the scheduler thread works them off; requests return at once
    container = build(settings, job_queue=jobs)
    runtime = container.runtime()
    _ensure_admin(runtime, settings)
    InProcessScheduler(runtime, jobs).start()
    app = create_app(
        runtime,
        max_body_bytes=settings.max_body_bytes,
        requests_per_minute=settings.requests_per_minute,
    )
    return app, container


def _ensure_admin(runtime: Any, settings: Settings) -> None:
    email = settings.admin_email or "admin@oxnack.example"
    password = settings.admin_password or runtime.secrets.password()
    try:
        register(runtime, email=email, password=password, role=Role.ADMIN)
    except AlreadyExists:
        return
    shown = password if not settings.admin_password else "(from HOSTPROVIDER_ADMIN_PASSWORD)"
    print(f"admin email: {email} password: {shown}", flush=True)


def _check_admin_settings(settings: Settings) -> None:
    """A bad admin e-mail or password stops the command with the variable to fix, before gunicorn
    starts; found in the worker, it would be a traceback and "Worker failed to boot"."""
    checks = (("HOSTPROVIDER_ADMIN_EMAIL", settings.admin_email, normalize_email),
              ("HOSTPROVIDER_ADMIN_PASSWORD", settings.admin_password, check_password_policy))
    for variable, value, check in checks:
        if value is None:
            continue
        try:
            check(value)
        except ValidationError as ex:
            raise ConfigError(f"{variable}: {ex.message}") from None


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

    def load(self) -> falcon.App:
        # Runs in the worker, after the fork: stores, threads and pools belong to the worker.
        app, _ = sandbox_app(self.settings)
        return app


def serve(settings: Settings, bind: str | None = None) -> int:
    _check_admin_settings(settings)
    logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(message)s")
    options = {
        "bind": bind or settings.bind,
        "workers": 1,  # the sandbox keeps its state in this one process
        "threads": 8,
        "worker_class": "gthread",
        "accesslog": None,  # our own JSON access log has the request id
        "graceful_timeout": 10,
        "timeout": 60,
    }
    _Gunicorn(settings, options).run()
    return 0
