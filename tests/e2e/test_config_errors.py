"""A configuration error stops every command with one line on stderr and exit 2: a bad site
file, a malformed database URL, a bad --bind. Never a traceback, from the CLI or a worker."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from .sandbox import command, sandbox_environment

pytestmark = pytest.mark.e2e

COMMANDS = {
    "serve": ["serve", "--bind", "127.0.0.1:0"],
    "scheduler": ["scheduler"],
    "migrate": ["migrate"],
    "catalog": ["catalog"],
    "quote": ["quote", "--os", "1", "--location", "1", "--tariff", "1"],
}
BAD_SITE = '[[location]]\nid = "one"\n'
SECRET_KEY = "config-error-test-key"


def _run(tmp_path: Path, args: list[str], **settings: str) -> subprocess.CompletedProcess[str]:
    env = sandbox_environment("admin@e2e.example", "e2e-admin-password", 0, settings)
    return subprocess.run(
        [command(), *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _refused(finished: subprocess.CompletedProcess[str], names: str) -> None:
    assert finished.returncode == 2, finished.stdout + finished.stderr
    lines = finished.stderr.splitlines()
    assert len(lines) == 1, finished.stderr
    assert lines[0].startswith("configuration error: ") and names in lines[0]
    assert "Traceback" not in finished.stdout


@pytest.mark.parametrize("name", COMMANDS)
def test_a_bad_site_file(tmp_path: Path, name: str) -> None:
    site = tmp_path / "site.toml"
    site.write_text(BAD_SITE)

    _refused(_run(tmp_path, COMMANDS[name], HOSTPROVIDER_SITE_FILE=str(site)), "id must be")


@pytest.mark.parametrize("url", ["host=db port", "postgresql://u@db:notaport/x"])
@pytest.mark.parametrize("name", COMMANDS)
def test_a_malformed_database_url(tmp_path: Path, name: str, url: str) -> None:
    finished = _run(
        tmp_path,
        COMMANDS[name],
        HOSTPROVIDER_DATABASE_URL=url,
        HOSTPROVIDER_SECRET_KEY=SECRET_KEY,
    )

    _refused(finished, "HOSTPROVIDER_DATABASE_URL")


@pytest.mark.parametrize("bind", ["127.0.0.1:notaport", "127.0.0.1:70000"])
def test_a_bad_bind(tmp_path: Path, bind: str) -> None:
    _refused(_run(tmp_path, ["serve", "--bind", bind]), "--bind")
    _refused(_run(tmp_path, ["serve"], HOSTPROVIDER_BIND=bind), "HOSTPROVIDER_BIND")


def test_a_bad_scheduler_metrics_bind(tmp_path: Path) -> None:
    finished = _run(
        tmp_path,
        ["scheduler"],
        HOSTPROVIDER_DATABASE_URL="postgresql://u@db/x",
        HOSTPROVIDER_SECRET_KEY=SECRET_KEY,
        HOSTPROVIDER_SCHEDULER_METRICS_BIND="0.0.0.0:port",
    )

    _refused(finished, "HOSTPROVIDER_SCHEDULER_METRICS_BIND")


GOOD_SITE = """
[[location]]
id = 1
nodes = ["pve1"]
storage = "local-lvm"
bridge = "vmbr1"
supernet = "10.20.0.0/16"
"""


@pytest.mark.parametrize("name", ["serve", "catalog"])
def test_a_site_that_disagrees_with_the_ssh_hosts_is_refused_before_any_worker(
    tmp_path: Path, name: str
) -> None:
    """Found by the composition root, which a gunicorn worker runs at boot: checked first."""
    site = tmp_path / "site.toml"
    site.write_text(GOOD_SITE)
    finished = _run(
        tmp_path,
        COMMANDS[name],
        HOSTPROVIDER_SITE_FILE=str(site),
        HOSTPROVIDER_PROXMOX_URL="https://127.0.0.1:1",
        HOSTPROVIDER_PROXMOX_TOKEN_ID="ops@pve!test",
        HOSTPROVIDER_PROXMOX_TOKEN_SECRET="secret",
        HOSTPROVIDER_PROXMOX_SSH_USER="root",
        HOSTPROVIDER_PROXMOX_SSH_PROGRAM="true",
        HOSTPROVIDER_PROXMOX_SSH_HOSTS="pve9=10.0.0.9",
    )

    _refused(finished, "HOSTPROVIDER_PROXMOX_SSH_HOSTS names pve9")
