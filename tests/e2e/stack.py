"""The product as ops runs it on PostgreSQL: `hostprovider migrate`, then `hostprovider serve`
(gunicorn, two workers) and one or more `hostprovider scheduler` processes, all real subprocesses on
a throwaway database that the fixture creates and drops.

Processes can be stopped gracefully, killed with SIGKILL and started again on the same database, so
that a test can show what survives a restart or a crash."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import attrs
import psycopg
import requests

from tests.contract.postgres import ScratchDatabase, admin_connection

from .sandbox import Sandbox, _stop, _wait_healthy, command, free_port, sandbox_environment

ADMIN_EMAIL, ADMIN_PASSWORD = "admin@e2e.example", "e2e-admin-password"
SECRET_KEY = "e2e-secret-key-" + "k" * 32
EXAMPLE_CATALOGUE = Path(__file__).parents[2] / "deploy" / "catalogue.example.toml"


@contextlib.contextmanager
def scratch_database() -> Iterator[str]:
    """A new, empty database on the test server, dropped (with FORCE) at the end."""
    admin = admin_connection()
    scratch = ScratchDatabase.create(admin)
    try:
        yield scratch.url
    finally:
        scratch.drop()
        admin.close()


@attrs.define
class Stack:
    workdir: Path
    database_url: str
    settings: dict[str, str] = attrs.field(factory=dict)  # more HOSTPROVIDER_* for every process
    variables: dict[str, str] = attrs.field(factory=dict)  # other environment for every process
    api: subprocess.Popen[bytes] | None = None
    sandbox: Sandbox | None = None
    schedulers: dict[str, subprocess.Popen[bytes]] = attrs.field(factory=dict)
    realtimes: dict[str, subprocess.Popen[bytes]] = attrs.field(factory=dict)

    def environment(self, **more: str) -> dict[str, str]:
        return sandbox_environment(
            ADMIN_EMAIL,
            ADMIN_PASSWORD,
            0,
            {
                "HOSTPROVIDER_DATABASE_URL": self.database_url,
                "HOSTPROVIDER_SECRET_KEY": SECRET_KEY,
                "HOSTPROVIDER_DB_POOL_SIZE": "4",
                "HOSTPROVIDER_SMTP_HOST": "none",  # mail off on purpose, unless a test sets it
                # Where a test gives no Proxmox or pfSense, each process simulates its own, on
                # purpose; tests that need one shared cluster give its settings.
                "HOSTPROVIDER_IN_PROCESS_INFRASTRUCTURE": "1",
                **self.settings,
                **{f"HOSTPROVIDER_{key.upper()}": value for key, value in more.items()},
                **self.variables,
            },
        )

    def _spawn(
        self, args: list[str], log_name: str, env: dict[str, str]
    ) -> subprocess.Popen[bytes]:
        with (self.workdir / log_name).open("ab") as log:  # the child keeps its own descriptor
            return subprocess.Popen(
                [command(), *args],
                cwd=self.workdir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def migrate(self) -> None:
        process = self._spawn(["migrate"], "migrate.log", self.environment())
        assert process.wait(timeout=60) == 0, (self.workdir / "migrate.log").read_text()

    def import_catalogue(self, path: Path, *args: str) -> tuple[int, str]:
        """`hostprovider catalog import`: its exit status and what it printed."""
        log = f"catalog-{path.stem}.log"
        process = self._spawn(["catalog", "import", *args, str(path)], log, self.environment())
        status = process.wait(timeout=60)
        return status, (self.workdir / log).read_text()

    def start_api(self, **more: str) -> Sandbox:
        assert self.api is None, "the API runs already"
        port = free_port()
        sandbox = Sandbox(
            f"http://127.0.0.1:{port}", ADMIN_EMAIL, ADMIN_PASSWORD, self.workdir / "serve.log"
        )
        self.api = self._spawn(
            ["serve", "--bind", f"127.0.0.1:{port}"],
            "serve.log",
            self.environment(web_workers="2", **more),
        )
        _wait_healthy(self.api, f"{sandbox.base_url}/readyz", sandbox)
        self.sandbox = sandbox
        return sandbox

    def stop_api(self) -> None:
        if self.api is not None:
            _stop(self.api)
            self.api = None

    def start_scheduler(self, name: str = "scheduler", **more: str) -> None:
        assert name not in self.schedulers, f"scheduler {name} runs already"
        if "HOSTPROVIDER_SCHEDULER_CONCURRENCY" not in self.settings:
            more = {"scheduler_concurrency": "2", **more}
        env = self.environment(**more)
        self.schedulers[name] = self._spawn(["scheduler"], f"{name}.log", env)

    def stop_scheduler(self, name: str = "scheduler") -> int:
        """SIGTERM and wait: the scheduler finishes its running jobs and exits."""
        process = self.schedulers.pop(name)
        _stop(process)
        return int(process.returncode)

    def kill_scheduler(self, name: str = "scheduler") -> None:
        """SIGKILL: no clean-up of any kind, as a crashed machine."""
        process = self.schedulers.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def start_realtime(self, name: str = "realtime", **more: str) -> str:
        """A `hostprovider realtime` process; returns its base URL once it answers."""
        port = free_port()
        process = self._spawn(
            ["realtime", "--bind", f"127.0.0.1:{port}"], f"{name}.log", self.environment(**more)
        )
        self.realtimes[name] = process
        url = f"http://127.0.0.1:{port}"
        _wait_answering(
            process, f"{url}/socket.io/?EIO=4&transport=polling", self.workdir / f"{name}.log"
        )
        return url

    def scheduler_log(self, name: str = "scheduler") -> str:
        return (self.workdir / f"{name}.log").read_text(errors="replace")

    def query(self, statement: str, *params: object) -> list[tuple[object, ...]]:
        with psycopg.connect(self.database_url) as conn:
            return list(conn.execute(statement, params).fetchall())  # type: ignore[arg-type]

    def stop_all(self) -> None:
        for process in self.realtimes.values():
            _stop(process)
        self.realtimes.clear()
        self.stop_api()
        for name in list(self.schedulers):
            self.stop_scheduler(name)


def _wait_answering(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text(errors="replace")
        with contextlib.suppress(requests.RequestException):
            if requests.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.1)
    raise AssertionError(f"{url} did not answer within 30 s:\n{log.read_text(errors='replace')}")


@contextlib.contextmanager
def running_stack(
    workdir: Path, *, catalogue: Path | None = EXAMPLE_CATALOGUE, **settings: str
) -> Iterator[Stack]:
    """A migrated database with `catalogue` published (as an operator would), or none."""
    with scratch_database() as url:
        stack = Stack(
            workdir, url, {f"HOSTPROVIDER_{key.upper()}": value for key, value in settings.items()}
        )
        try:
            stack.migrate()
            if catalogue is not None:
                status, output = stack.import_catalogue(catalogue)
                assert status == 0, output
            yield stack
        finally:
            stack.stop_all()
