"""`hostprovider serve` itself: how it starts, and how it refuses to."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import requests

from .sandbox import Sandbox, command, free_port, sandbox_environment

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("HOSTPROVIDER_ADMIN_PASSWORD", "short"),
        ("HOSTPROVIDER_ADMIN_PASSWORD", "1234567890"),  # long enough, but among the most common
        ("HOSTPROVIDER_ADMIN_EMAIL", "not an address"),
        ("HOSTPROVIDER_ADMIN_EMAIL", "\u0430dmin@oxnack.example"),  # a Cyrillic a among Latin
    ],
)
def test_a_bad_admin_setting_stops_the_command_with_the_variable_named(
    tmp_path: Path, variable: str, value: str
) -> None:
    env = sandbox_environment("admin@e2e.example", "e2e-admin-password", 0, {variable: value})
    finished = subprocess.run(
        [command(), "serve", "--bind", f"127.0.0.1:{free_port()}"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert finished.returncode == 2
    assert finished.stderr.startswith(f"configuration error: {variable}")
    assert "Traceback" not in finished.stdout + finished.stderr


def test_the_sandbox_opens_no_gunicorn_control_socket(sandbox: Sandbox) -> None:
    # Its default path is one per user: a second sandbox would take over the first one's socket.
    assert "Control socket" not in sandbox.log.read_text()


@pytest.mark.parametrize(
    ("path", "headers", "status", "code"),
    [
        ("/api/locations?filter=" + "a" * 5000, {}, 414, "uri_too_long"),
        ("/api/locations", {f"X-Padding-{n}": "x" for n in range(120)}, 431, "headers_too_large"),
        ("/api/locations", {"X-Padding": "x" * 9000}, 431, "headers_too_large"),
    ],
)
def test_what_gunicorn_refuses_before_the_api_is_refused_in_the_api_error_shape(
    sandbox: Sandbox, path: str, headers: dict[str, str], status: int, code: str
) -> None:
    answer = requests.get(sandbox.base_url + path, headers=headers, timeout=10)

    assert answer.status_code == status
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    body = answer.json()
    assert set(body) == {"error", "code", "details"} and body["code"] == code
