"""The stack as an operator watches it, on PostgreSQL: `/metrics` summed over two gunicorn
workers, the scheduler's own `/metrics`, JSON log lines from every process, and the connections
an idle `serve` (2 workers) + `scheduler` hold, named by application_name and within the formula
of the README's "Connections"."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.prometheus_text import Samples, parse, value

from .sandbox import command, free_port
from .stack import Stack, running_stack
from .test_lifecycle import ORDER
from .test_postgres_stack import customer_with_credit, order

pytestmark = pytest.mark.e2e

WEB_WORKERS, POOL_SIZE, CONCURRENCY = 2, 4, 2  # what the stack runs with (stack.py)


@pytest.fixture(scope="module")
def metrics_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("metrics")


@pytest.fixture(scope="module")
def scheduler_metrics() -> str:
    return f"127.0.0.1:{free_port()}"


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory, metrics_dir: Path, scheduler_metrics: str
) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("ops")) as live:
        # The API's workers share this directory; the scheduler, a single process, ignores it.
        live.variables["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
        live.start_api()
        live.start_scheduler(scheduler_metrics_bind=scheduler_metrics)
        yield live


def samples(url: str) -> Samples:
    answer = requests.get(url, timeout=10)
    assert answer.status_code == 200
    return parse(answer.headers["Content-Type"], answer.text)


HEALTHZ = {"route": "/healthz", "method": "GET", "status": "200"}


def _workers(stack: Stack) -> set[int]:
    """The gunicorn workers: the children of the `hostprovider serve` process (the master)."""
    assert stack.api is not None
    children = Path(f"/proc/{stack.api.pid}/task/{stack.api.pid}/children").read_text()
    return {int(pid) for pid in children.split()}


def _replace_workers(stack: Stack) -> None:
    """SIGTERM every worker; the master starts new ones (new pids) in their place."""
    assert stack.sandbox is not None
    old = _workers(stack)
    for pid in old:
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while True:
        current = _workers(stack)
        if len(current) == WEB_WORKERS and not current & old:
            try:
                if requests.get(f"{stack.sandbox.base_url}/readyz", timeout=5).ok:
                    return
            except requests.ConnectionError:
                pass
        assert time.monotonic() < deadline, "the workers were not replaced in 30 s"
        time.sleep(0.2)


def test_metrics_sum_the_requests_of_every_worker(stack: Stack, metrics_dir: Path) -> None:
    assert stack.sandbox is not None
    base = stack.sandbox.base_url
    before = value(samples(f"{base}/metrics"), "hostprovider_http_requests_total", **HEALTHZ)

    def hit(_: int) -> int:
        with requests.Session() as session:  # a connection each: the workers share them out
            answers = [session.get(f"{base}/healthz", timeout=10) for _ in range(5)]
        return sum(answer.status_code == 200 for answer in answers)

    answered = 0
    for _ in range(2):  # two generations of workers: no process has seen every request
        with ThreadPoolExecutor(8) as pool:
            answered += sum(pool.map(hit, range(10)))
        _replace_workers(stack)

    assert len(list(metrics_dir.glob("counter_*.db"))) >= 2  # one file per worker that counted
    # Whichever worker answers the scrape, it counts every worker's requests, the dead ones' too.
    for _ in range(6):
        after = samples(f"{base}/metrics")
        assert value(after, "hostprovider_http_requests_total", **HEALTHZ) - before == answered
        seconds = value(after, "hostprovider_http_request_duration_seconds_count", **HEALTHZ)
        assert seconds - before >= answered


def test_the_scheduler_counts_jobs_and_ticks_on_its_own_port(
    stack: Stack, scheduler_metrics: str
) -> None:
    customer, _ = customer_with_credit(stack)
    try:
        created = order(customer, "ops-metrics-1", config=ORDER)
        assert customer.wait_for_action(created["taskId"], timeout=60)["status"] == "success"
    finally:
        customer.close()

    url = f"http://{scheduler_metrics}/metrics"
    deadline = time.monotonic() + 30
    while True:  # the notices tick runs every 10 s
        found = samples(url)
        if value(found, "hostprovider_ticks_total", tick="notices") >= 1:
            break
        assert time.monotonic() < deadline, "no tick counted in 30 s"
        time.sleep(1)
    assert value(found, "hostprovider_jobs_total", task="provision_server") == 1
    assert value(found, "hostprovider_job_failures_total", task="provision_server") == 0
    assert value(found, "hostprovider_tick_duration_seconds_count", tick="notices") >= 1


def _log_lines(path: Path) -> list[dict[str, Any]]:
    lines = []
    for line in path.read_text().splitlines():
        if line.startswith("admin email: "):  # the command's one printed answer, not a log
            continue
        parsed = json.loads(line)  # every other line is one JSON object
        assert isinstance(parsed, dict), line
        lines.append(parsed)
    return lines


def test_every_process_logs_one_json_object_a_line(stack: Stack) -> None:
    serve = _log_lines(stack.workdir / "serve.log")
    scheduler = _log_lines(stack.workdir / "scheduler.log")

    assert {line["process"] for line in serve} == {"serve"}
    assert {line["process"] for line in scheduler} == {"scheduler"}
    assert any(line["logger"] == "gunicorn.error" for line in serve)  # gunicorn's own lines too
    assert any(line["logger"] == "hostprovider.access" and "status" in line for line in serve)
    # Ticks that found nothing to do stay out of the INFO log; no Python repr anywhere.
    text = (stack.workdir / "scheduler.log").read_text()
    assert "Report(" not in text and "Reconciliation(" not in text
    assert "gAAAA" not in text  # the sealed root password of the order's job (Fernet) is redacted
    assert not [line for line in scheduler if line.get("tick") == "warm_pool"]  # no pool: quiet


def _connections(stack: Stack) -> dict[str, int]:
    """Connections by process role: the first word of the application_name (a pool's connections
    add the host, pid and a nonce after it, for the idempotency store to tell processes apart)."""
    rows = stack.query(
        "SELECT split_part(application_name, ' ', 1), count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid() GROUP BY 1"
    )
    return {str(name): int(count) for name, count in rows}  # type: ignore[call-overload]


def test_an_idle_stack_holds_the_connections_the_readme_formula_gives(stack: Stack) -> None:
    """README "Connections": an API worker holds 1 (its pool's floor) up to DB_POOL_SIZE; a
    scheduler 3 (its pool's floor, procrastinate's floor, procrastinate's LISTEN) up to
    max(DB_POOL_SIZE, CONCURRENCY) + CONCURRENCY + 3."""
    stack.stop_api()
    stack.start_api()  # a fresh API: nothing but health probes since it started
    # Each worker opens its pool's first connection as it boots; on a loaded machine that can take
    # longer than the health probe that said the API is up.
    deadline = time.monotonic() + 20
    held = _connections(stack)
    while held.get("hostprovider-serve", 0) < WEB_WORKERS and time.monotonic() < deadline:
        time.sleep(0.5)
        held = _connections(stack)
    time.sleep(1)  # and nothing opens more while it idles
    held = _connections(stack)

    # Every connection to the database carries the name of the process that opened it.
    assert set(held) == {"hostprovider-serve", "hostprovider-scheduler"}, held
    assert held["hostprovider-serve"] == WEB_WORKERS * 1
    scheduler_floor, scheduler_ceiling = 3, max(POOL_SIZE, CONCURRENCY) + CONCURRENCY + 3
    assert scheduler_floor <= held["hostprovider-scheduler"] <= scheduler_ceiling
    # Before pools were sized to need, the API alone held W x DB_POOL_SIZE = 8 at rest.
    assert sum(held.values()) <= WEB_WORKERS + scheduler_ceiling


def test_a_command_with_an_answer_keeps_its_logs_off_stdout(stack: Stack) -> None:
    """`hostprovider catalog | jq` works on a database: the answer alone is on stdout."""
    finished = subprocess.run(
        [command(), "catalog"],
        cwd=stack.workdir,
        env=stack.environment(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert finished.returncode == 0, finished.stderr
    assert set(json.loads(finished.stdout)) >= {"locations", "os", "tariffs"}
    # What it logs goes to stderr, and only warnings and errors: nothing, when all went well.
    logged = [json.loads(line) for line in finished.stderr.splitlines()]
    assert all(line["process"] == "catalog" and line["level"] != "info" for line in logged)
