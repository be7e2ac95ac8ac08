"""The README's PostgreSQL section with no hardware: `hostprovider simulate` is the cluster and the
firewalls, and `serve` plus two `scheduler`s (one restarted half-way) use the real adapters on it.

Every process sees the same guests: a server made by one scheduler is snapshotted after a restart,
its console and live stats are read by the API, and power actions reach it, with no reconciler
taking a billed server for an orphan."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import requests

from entrypoints.config import read_dotenv

from .sandbox import command
from .stack import Stack, running_stack
from .test_lifecycle import ORDER, amount, exact_balance, run, transactions
from .test_postgres_stack import customer_with_credit, order

pytestmark = pytest.mark.e2e

READY = "simulated infrastructure ready"


@contextlib.contextmanager
def simulate(state_dir: Path) -> Iterator[dict[str, str]]:
    """`hostprovider simulate` in its own process; yields the settings it wrote."""
    log = state_dir / "simulate.log"
    state_dir.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        process = subprocess.Popen(
            # Port 0: every simulator on a free port of its own; the env file says which.
            [command(), "simulate", "--bind", "127.0.0.1:0", "--state-dir", str(state_dir)]
            + ["--task-seconds", "0.3"],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 30
        while READY not in log.read_text(errors="replace"):
            assert process.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, "simulate did not get ready in 30 s"
            time.sleep(0.1)
        yield read_dotenv(state_dir / "simulated.env")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        assert process.wait(timeout=10) == 0, log.read_text(errors="replace")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with simulate(tmp_path_factory.mktemp("simulated")) as settings:
        unprefixed = {key.removeprefix("HOSTPROVIDER_").lower(): v for key, v in settings.items()}
        with running_stack(tmp_path_factory.mktemp("stack"), **unprefixed) as live:
            live.start_api()
            live.start_scheduler("first")
            live.start_scheduler("second")
            yield live


@pytest.mark.parametrize("os_id", [1, 4], ids=["lxc", "qemu"])
def test_every_process_works_on_the_one_simulated_cluster(stack: Stack, os_id: int) -> None:
    customer, _ = customer_with_credit(stack)
    created = order(
        customer, f"simulated-{os_id}", name=f"sim-{os_id}", config={**ORDER, "osId": os_id}
    )
    server_id = created["id"]
    assert customer.wait_for_action(created["taskId"])["status"] == "success"
    server = customer.get(f"/api/server/{server_id}")
    assert server["status"] == "running" and server["ipAddress"]

    # A scheduler goes away and comes back; the other carries on meanwhile.
    assert stack.stop_scheduler("first") == 0
    run(customer, customer.post(f"/api/server/{server_id}/stop", expect=202), "stop")
    stack.start_scheduler("first")
    run(customer, customer.post(f"/api/server/{server_id}/start", expect=202), "start")

    snap = {"snapname": "simulated", "description": "e2e"}
    run(customer, customer.post(f"/api/server/{server_id}/snapshots", snap, expect=202), "snapshot")
    names = [s["name"] for s in customer.get(f"/api/server/{server_id}/snapshots")["data"]]
    assert names == ["simulated"]
    rolled = customer.post(
        f"/api/server/{server_id}/snapshots/rollback", {"snapname": "simulated"}, expect=202
    )
    run(customer, rolled, "rollback")
    run(customer, customer.post(f"/api/server/{server_id}/restart", expect=202), "restart")

    # The API process reads the guest the schedulers made: live stats and a console.
    status = customer.get(f"/api/server/{server_id}/status")
    assert status["stats"]["data"]["vmid"] == server["proxmoxId"]
    console = customer.post("/api/server/console", {"vmid": server["proxmoxId"]})
    assert console["status"] == "success"
    assert customer.get(f"/api/server/{server_id}")["status"] == "running"

    run(customer, customer.delete(f"/api/server/{server_id}", expect=202), "delete")
    assert customer.get("/api/server") == []
    assert exact_balance(customer) == sum(
        (amount(t["amount"]) for t in transactions(customer)), Decimal(0)
    )
    customer.close()


def test_a_bad_bind_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = subprocess.run(
        [command(), "simulate", "--bind", "nowhere", "--state-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "--bind" in result.stderr


def test_the_simulated_firewalls_answer_with_the_written_key(tmp_path: Path) -> None:
    with simulate(tmp_path / "state") as settings:
        answer = requests.get(
            f"{settings['HOSTPROVIDER_PFSENSE_URL']}/api/v2/interface/vlans",
            headers={"X-API-Key": settings["HOSTPROVIDER_PFSENSE_API_KEY"]},
            timeout=5,
        )
        assert answer.status_code == 200 and answer.json()["data"] == []
