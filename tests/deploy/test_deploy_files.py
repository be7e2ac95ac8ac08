"""The files under deploy/ parse and say what operations rely on: systemd units that restart,
a compose file that validates and runs PostgreSQL, migrate, serve and scheduler in that order, a
gunicorn config that imports with the settings `hostprovider serve` uses, a Dockerfile that ships
every package."""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
GUNICORN_CONF = DEPLOY / "gunicorn.conf.py"
INSTALLED_COMMAND = "/opt/hostprovider/.venv/bin/hostprovider"


def _unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read_string(path.read_text())
    return parser


def test_there_is_a_unit_for_each_long_running_process() -> None:
    assert {path.name for path in UNITS} >= {
        "hostprovider-serve.service",
        "hostprovider-scheduler.service",
    }


@pytest.mark.parametrize("path", UNITS, ids=lambda p: p.name)
def test_a_unit_restarts_always_and_reads_the_env_file(path: Path) -> None:
    unit = _unit(path)
    service = unit["Service"]

    assert service["Restart"] == "always"
    assert service["EnvironmentFile"] == "/etc/hostprovider/hostprovider.env"
    assert service["ExecStart"].startswith(f"{INSTALLED_COMMAND} ")
    assert service["User"] == "hostprovider"
    assert "RestartPreventExitStatus" not in service  # exit 2 includes a database not up yet
    assert unit["Unit"]["StartLimitIntervalSec"] == "0"  # systemd never stops restarting it
    assert unit["Install"]["WantedBy"] == "multi-user.target"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
@pytest.mark.parametrize("path", UNITS, ids=lambda p: p.name)
def test_systemd_analyze_verifies_the_unit(path: Path, tmp_path: Path) -> None:
    # verify checks that the commands exist: point them at this checkout's installed command.
    here = Path(sys.executable).parent / "hostprovider"
    copy = tmp_path / path.name
    copy.write_text(path.read_text().replace(INSTALLED_COMMAND, str(here)))

    finished = subprocess.run(
        ["systemd-analyze", "verify", str(copy)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert finished.returncode == 0, finished.stderr
    problems = [line for line in finished.stderr.splitlines() if path.name in line]
    assert problems == []


def test_the_env_template_names_only_settings_the_product_reads() -> None:
    from entrypoints.config import load_settings, read_dotenv

    values = read_dotenv(DEPLOY / "hostprovider.env.example")
    assert {"HOSTPROVIDER_DATABASE_URL", "HOSTPROVIDER_SECRET_KEY"} <= set(values)
    readme = (ROOT / "README.md").read_text()
    assert [key for key in values if f"`{key}`" not in readme] == []
    load_settings(values, dotenv=None)  # the template itself is a valid configuration


def _compose_command() -> list[str] | None:
    if shutil.which("docker"):
        probe = subprocess.run(
            ["docker", "compose", "version"], capture_output=True, timeout=30, check=False
        )
        if probe.returncode == 0:
            return ["docker", "compose"]
    found = shutil.which("docker-compose")
    return [found] if found else None


COMPOSE = _compose_command()


def _compose_config(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    assert COMPOSE is not None
    return subprocess.run(
        [*COMPOSE, "-f", str(DEPLOY / "compose.yaml"), "config"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
        cwd=ROOT,  # no .env of the caller's directory
    )


@pytest.mark.skipif(COMPOSE is None, reason="neither `docker compose` nor docker-compose")
def test_docker_compose_config_validates() -> None:
    finished = _compose_config({**os.environ, "HOSTPROVIDER_SECRET_KEY": "compose-test-key"})
    assert finished.returncode == 0, finished.stderr

    services = yaml.safe_load(finished.stdout)["services"]
    assert set(services) == {"postgres", "migrate", "serve", "scheduler"}
    assert services["migrate"]["command"] == ["migrate"]
    for name in ("serve", "scheduler"):
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
        assert services[name]["restart"] == "always"
        url = services[name]["environment"]["HOSTPROVIDER_DATABASE_URL"]
        assert "@postgres:5432/" in url


@pytest.mark.skipif(COMPOSE is None, reason="neither `docker compose` nor docker-compose")
def test_docker_compose_refuses_to_start_without_a_secret_key() -> None:
    env = {k: v for k, v in os.environ.items() if k != "HOSTPROVIDER_SECRET_KEY"}
    finished = _compose_config(env)
    assert finished.returncode != 0
    assert "HOSTPROVIDER_SECRET_KEY" in finished.stderr


def test_the_gunicorn_config_imports_with_the_settings_of_hostprovider_serve(
    tmp_path: Path,
) -> None:
    # In a child: the config puts its process in Prometheus multiprocess mode.
    probe = (
        "import runpy, json; from entrypoints.serve import gunicorn_options;"
        "from entrypoints.config import load_settings;"
        f"c = runpy.run_path({str(DEPLOY / 'gunicorn.conf.py')!r});"
        "want = gunicorn_options(load_settings());"
        "plain = lambda v: v if isinstance(v, (int, str, type(None))) else type(v).__name__;"
        "print(json.dumps({k: [plain(c[k]), plain(want[k])] for k in want}))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOSTPROVIDER_")}
    env.update({"HOSTPROVIDER_BIND": "127.0.0.1:8123", "HOSTPROVIDER_ADMIN_PASSWORD": ""})
    finished = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT)},
    )
    assert finished.returncode == 0, finished.stderr

    import json

    pairs = json.loads(finished.stdout)
    assert {key: got for key, (got, _) in pairs.items()} == {k: w for k, (_, w) in pairs.items()}
    # no database here: the sandbox, served as ASGI (the live feed beside the API)
    assert pairs["bind"][0] == "127.0.0.1:8123"
    assert pairs["worker_class"][0] == "uvicorn_worker.UvicornWorker"
    assert pairs["child_exit"][0] == "function"  # the multiprocess metrics hook


def test_the_gunicorn_config_stops_a_bad_setting_with_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOSTPROVIDER_")}
    env.update({"HOSTPROVIDER_SITE_FILE": str(tmp_path / "missing.toml")})
    finished = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import runpy; runpy.run_path({str(DEPLOY / 'gunicorn.conf.py')!r})",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT)},
    )
    assert finished.returncode == 2
    assert finished.stderr.splitlines() == [
        f"configuration error: HOSTPROVIDER_SITE_FILE: cannot read {tmp_path / 'missing.toml'}: "
        "No such file or directory"
    ]


def test_the_dockerfile_ships_every_package_and_runs_the_command() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = [p.rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]["include"]]

    copied = {line.split()[1] for line in dockerfile.splitlines() if line.startswith("COPY ")}
    assert set(packages) <= copied
    assert 'ENTRYPOINT ["hostprovider"]' in dockerfile
    assert "USER hostprovider" in dockerfile


def test_gunicorn_with_the_config_serves_the_api_docs_and_metrics(tmp_path: Path) -> None:
    """`gunicorn -c deploy/gunicorn.conf.py entrypoints.wsgi:application`, the sandbox settings."""
    from tests.e2e.sandbox import Sandbox, _stop, _wait_healthy, free_port, sandbox_environment

    port = free_port()
    env = sandbox_environment("admin@deploy.example", "deploy-admin-password", 0, {})
    env.update({"HOSTPROVIDER_BIND": f"127.0.0.1:{port}", "PYTHONPATH": str(ROOT)})
    log = tmp_path / "gunicorn.log"
    gunicorn = Path(sys.executable).parent / "gunicorn"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(gunicorn), "-c", str(GUNICORN_CONF), "entrypoints.wsgi:application"],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(process, f"{base}/readyz", Sandbox(base, "", "", log))
        import requests

        assert requests.get(f"{base}/api/docs", timeout=10).status_code == 200
        assert "hostprovider_state_up 1.0" in requests.get(f"{base}/metrics", timeout=10).text
    finally:
        _stop(process)
