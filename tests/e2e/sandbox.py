"""A real `hostprovider serve` in a subprocess, and a small client for talking to it.

The e2e tests drive the product the way a newcomer does: the installed command, a TCP port, HTTP.
Every wait is bounded, and the process group is always torn down, also when a test fails."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import requests

START_TIMEOUT = 20.0
STOP_TIMEOUT = 15.0
ACTION_TIMEOUT = 30.0
HTTP_TIMEOUT = 10.0


def command() -> str:
    beside = Path(sys.executable).parent / "hostprovider"  # the venv that runs pytest
    found = str(beside) if beside.exists() else shutil.which("hostprovider")
    if found is None:
        raise RuntimeError(
            "the hostprovider command is not installed; run `make test` to build .venv"
        )
    return found


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@attrs.frozen
class Sandbox:
    base_url: str
    admin_email: str
    admin_password: str
    log: Path

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def sandbox_environment(
    admin_email: str, admin_password: str, task_seconds: int, settings: dict[str, str]
) -> dict[str, str]:
    # Only this test's settings: a HOSTPROVIDER_DATABASE_URL from the outside would make the command
    # refuse to start, and a developer's own values would make the run depend on their shell.
    # PGAPPNAME too: a test that ran the CLI in this process set it, and each command names its own
    # connections from it.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("HOSTPROVIDER_") and k != "PGAPPNAME"
    }
    env.update(
        {
            "HOSTPROVIDER_ADMIN_EMAIL": admin_email,
            "HOSTPROVIDER_ADMIN_PASSWORD": admin_password,
            "HOSTPROVIDER_SANDBOX_TASK_SECONDS": str(task_seconds),
            # The cheapest argon2id the settings allow: the suite logs in often, and slow hashing
            # proves nothing here.
            "HOSTPROVIDER_ARGON2_TIME_COST": "1",
            "HOSTPROVIDER_ARGON2_MEMORY_KIB": "8192",
            "HOSTPROVIDER_ARGON2_PARALLELISM": "1",
            # Tests sign many customers up from one address; the throttle has tests of its own.
            "HOSTPROVIDER_REGISTRATIONS_PER_HOUR": "1000",
            "PYTHONUNBUFFERED": "1",
            **settings,
        }
    )
    return env


def _wait_healthy(process: subprocess.Popen[bytes], url: str, sandbox: Sandbox) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"hostprovider serve exited with {process.returncode}:\n{sandbox.log_tail()}"
            )
        with contextlib.suppress(requests.RequestException):
            if requests.get(url, timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(
        f"hostprovider serve did not answer {url} within {START_TIMEOUT} s:\n{sandbox.log_tail()}"
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    # gunicorn's arbiter shuts its worker down gracefully on SIGTERM.
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        # Our own session (start_new_session): the group is the arbiter and its worker only.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_TIMEOUT)


@contextlib.contextmanager
def running_sandbox(
    workdir: Path, *, task_seconds: int = 0, settings: dict[str, str] | None = None
) -> Iterator[Sandbox]:
    port = free_port()
    sandbox = Sandbox(
        f"http://127.0.0.1:{port}", "admin@e2e.example", "e2e-admin-password", workdir / "serve.log"
    )
    with sandbox.log.open("wb") as log:
        process = subprocess.Popen(
            [command(), "serve", "--bind", f"127.0.0.1:{port}"],
            cwd=workdir,  # no developer's .env beside the command
            env=sandbox_environment(
                sandbox.admin_email, sandbox.admin_password, task_seconds, settings or {}
            ),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,  # a file never fills up
            start_new_session=True,
        )
        try:
            _wait_healthy(process, f"{sandbox.base_url}/healthz", sandbox)
            yield sandbox
        finally:
            _stop(process)


class Client:
    """requests with the sandbox's base URL, an optional bearer token and JSON bodies."""

    def __init__(self, base_url: str, token: str | None = None) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def request(
        self, method: str, path: str, *, expect: int | None = None, **kwargs: Any
    ) -> requests.Response:
        kwargs.setdefault("timeout", HTTP_TIMEOUT)
        response = self.session.request(method, self.base_url + path, **kwargs)
        if expect is not None:
            assert response.status_code == expect, (
                f"{method} {path}: expected {expect}, got {response.status_code}: {response.text}"
            )
        return response

    def get(self, path: str, expect: int | None = 200, **kwargs: Any) -> Any:
        return self.request("GET", path, expect=expect, **kwargs).json()

    def post(self, path: str, body: Any = None, expect: int | None = 200, **kwargs: Any) -> Any:
        response = self.request("POST", path, expect=expect, json=body, **kwargs)
        return response.json() if response.content else None

    def put(self, path: str, body: Any = None, expect: int | None = 200, **kwargs: Any) -> Any:
        return self.request("PUT", path, expect=expect, json=body, **kwargs).json()

    def delete(self, path: str, body: Any = None, expect: int | None = 200, **kwargs: Any) -> Any:
        response = self.request("DELETE", path, expect=expect, json=body, **kwargs)
        return response.json() if response.content else None

    def login(self, email: str, password: str) -> Client:
        answer = self.post("/api/auth/login", {"email": email, "password": password})
        return Client(self.base_url, answer["access_token"])

    def wait_for_action(self, task_id: int, timeout: float = ACTION_TIMEOUT) -> dict[str, Any]:
        """Poll an action until it finishes; a bounded wait, whatever the sandbox's task length."""
        deadline = time.monotonic() + timeout
        while True:
            action: dict[str, Any] = self.get(f"/api/actions/{task_id}")
            if action["status"] != "running":
                return action
            assert time.monotonic() < deadline, (
                f"action {task_id} still running after {timeout} s: {action}"
            )
            time.sleep(0.1)

    def close(self) -> None:
        self.session.close()
