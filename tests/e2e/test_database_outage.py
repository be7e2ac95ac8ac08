"""PostgreSQL away for 5 s under a read load, on the live stack (gunicorn with two workers, two
schedulers): the database refuses connections (`ALLOW_CONNECTIONS false`) and every connection to
it is cut (`pg_terminate_backend`), and meanwhile one gunicorn worker is killed.

What must hold: no process exits (gunicorn replaces the worker, and the replacement boots without
the database); requests are answered 503 with a short Retry-After, without long waits; the service
is whole again within 5 s of the database's return; both schedulers run on and heart-beat again;
and the Idempotency-Key the killed worker held is taken over by the client's retry (unless its
request had committed its change: then the retry is told so, and nothing runs twice)."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import statistics
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import attrs
import pytest
import requests

from tests.contract.postgres import refused_connections

from .sandbox import Client
from .stack import Stack, running_stack
from .test_lifecycle import exact_balance
from .test_postgres_stack import customer_with_credit

pytestmark = pytest.mark.e2e

OUTAGE_SECONDS = 5
CONNECTION_WAIT = 2.0  # adapters/postgres/pool.py: how long a request waits for a connection
WAIT_TOLERANCE = 1.5  # what a loaded machine adds to it
BACK_WITHIN = 5.0  # the figure: full service again this long after the database is


@attrs.frozen
class Answer:
    sent: float  # time.monotonic()
    took: float
    status: int  # 0: no HTTP answer at all (connection refused or reset)
    retry_after: str | None


@attrs.define
class ReadLoad:
    """Clients reading the catalogue and their balance in a loop, every answer kept."""

    base_url: str
    token: str
    answers: list[Answer] = attrs.field(factory=list)
    _stop: threading.Event = attrs.field(factory=threading.Event)
    _threads: list[threading.Thread] = attrs.field(factory=list)

    def start(self, clients: int = 4) -> None:
        for n in range(clients):
            path = "/api/balance" if n % 2 else "/api/locations"
            thread = threading.Thread(target=self._read, args=(path,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(15)

    def _read(self, path: str) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {self.token}"
        while not self._stop.is_set():
            sent = time.monotonic()
            try:
                response = session.get(self.base_url + path, timeout=15)
                status, retry = response.status_code, response.headers.get("Retry-After")
            except requests.RequestException:
                status, retry = 0, None
            self.answers.append(Answer(sent, time.monotonic() - sent, status, retry))
            time.sleep(0.05)
        session.close()

    def between(self, start: float, end: float) -> list[Answer]:
        return [a for a in self.answers if start <= a.sent and a.sent + a.took <= end]


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    with running_stack(tmp_path, stalled_job_seconds="3") as live:
        live.start_api()
        live.start_scheduler("scheduler-a")
        live.start_scheduler("scheduler-b")
        yield live


def gunicorn_workers(stack: Stack) -> list[int]:
    assert stack.api is not None
    children = Path(f"/proc/{stack.api.pid}/task/{stack.api.pid}/children").read_text()
    return [int(pid) for pid in children.split()]


def holder_of(stack: Stack, pid: int) -> str:
    """The name the worker `pid` gives its connections (adapters/postgres/pool.py)."""
    rows = stack.query(
        "SELECT DISTINCT application_name FROM pg_stat_activity"
        " WHERE application_name LIKE %s AND datname = current_database()",
        f"hostprovider% % {pid} %",  # ROLE HOST PID NONCE
    )
    assert len(rows) == 1, rows
    return str(rows[0][0])


def heart_beats_since(stack: Stack, moment: float) -> int:
    rows = stack.query(
        "SELECT count(*) FROM procrastinate_workers WHERE last_heartbeat > to_timestamp(%s)",
        moment,
    )
    return int(rows[0][0])  # type: ignore[call-overload]


def wait_until(condition: object, what: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"no {what} within {seconds} s"
        time.sleep(0.1)


def test_five_seconds_without_the_database_and_a_worker_killed_meanwhile(stack: Stack) -> None:
    assert stack.sandbox is not None and stack.api is not None
    customer, customer_id = customer_with_credit(stack, Decimal("100.00"))
    admin = Client(stack.sandbox.base_url).login(
        stack.sandbox.admin_email, stack.sandbox.admin_password
    )
    admin_id = admin.get("/api/auth/me")["id"]
    token = customer.session.headers["Authorization"].removeprefix("Bearer ")
    load = ReadLoad(stack.sandbox.base_url, str(token))
    load.start()
    wait_until(lambda: len(load.answers) > 20, "answers under load")
    started = time.time()
    wait_until(lambda: heart_beats_since(stack, started) == 2, "both schedulers up")

    # The worker about to die is mid-request with an Idempotency-Key: its claim, as it left it.
    victim = gunicorn_workers(stack)[0]
    path = f"/api/admin/customers/{customer_id}/credit"
    body = json.dumps({"amount": "7.00", "reason": "retried through an outage"}).encode()
    fingerprint = hashlib.sha256(b"\n".join([b"POST", path.encode(), body])).hexdigest()
    dead_holder = holder_of(stack, victim)
    stack.query(
        "INSERT INTO idempotency_keys (account_id, key, fingerprint, created_at, holder)"
        " VALUES (%s, 'through-the-outage', %s, now(), %s) RETURNING key",
        admin_id,
        fingerprint,
        dead_holder,
    )

    with refused_connections(stack.database_url):
        down = time.monotonic()
        os.kill(victim, signal.SIGKILL)
        time.sleep(OUTAGE_SECONDS)
        # gunicorn has booted a replacement meanwhile, the database still away
        assert stack.api.poll() is None
        replacement = [pid for pid in gunicorn_workers(stack) if pid != victim]
        assert len(replacement) == 2 and victim not in replacement
    back = time.monotonic()
    wall_back = time.time()

    wait_until(lambda: full_service(load, back), "full service", seconds=30)
    time.sleep(1)
    load.stop()

    # No process exited.
    assert stack.api.poll() is None
    assert all(process.poll() is None for process in stack.schedulers.values())
    wait_until(lambda: heart_beats_since(stack, wall_back) == 2, "both schedulers heart-beating")

    # During the outage: 503 with a short Retry-After, answered without a long wait.
    during = load.between(down + 0.5, back)
    assert during, "no answer during the outage"
    assert {a.status for a in during} <= {503}, sorted({a.status for a in during})
    assert all(a.retry_after and 1 <= int(a.retry_after) <= 5 for a in during)
    assert statistics.median(a.took for a in during) <= CONNECTION_WAIT + WAIT_TOLERANCE

    # After: whole again within 5 s.
    first_full = full_service(load, back)
    assert first_full is not None and first_full - back <= BACK_WITHIN, first_full - back

    # The key the dead worker held is taken over by the retry, and runs once.
    before = exact_balance(customer)
    headers = {"Idempotency-Key": "through-the-outage", "Content-Type": "application/json"}
    retried = admin.request("POST", path, data=body, headers=headers)
    replayed = admin.request("POST", path, data=body, headers=headers)
    assert retried.status_code in (200, 201), retried.text
    assert replayed.status_code == retried.status_code
    assert replayed.headers.get("Idempotent-Replayed") == "true"
    assert exact_balance(customer) == before + Decimal("7.00")
    assert stack.query("SELECT key FROM idempotency_keys WHERE response_status IS NULL") == []

    # A request of the dead worker that had committed its change is never run twice: its retry,
    # once the lease is over, is told the answer was lost.
    stack.query(
        "INSERT INTO idempotency_keys"
        " (account_id, key, fingerprint, created_at, holder, changed_at) VALUES"
        " (%s, 'charged-then-died', %s, now() - interval '2 minutes', %s, now()) RETURNING key",
        admin_id,
        fingerprint,
        dead_holder,
    )
    lost = admin.request(
        "POST", path, data=body, headers={**headers, "Idempotency-Key": "charged-then-died"}
    )
    assert lost.status_code == 409 and lost.json()["code"] == "idempotency_key_unanswered"
    assert exact_balance(customer) == before + Decimal("7.00")
    print(
        f"outage answers: {len(during)}, median {statistics.median(a.took for a in during):.2f} s;"
        f" full service {first_full - back:.2f} s after the database was back"
    )
    admin.close()
    customer.close()


def full_service(load: ReadLoad, back: float) -> float | None:
    """The moment after which every answer was a 200, if the last second's answers all were."""
    after = [a for a in load.answers if a.sent >= back]
    if not after or after[-1].sent - back < 1.0:
        return None
    failing = [a for a in after if a.status != 200]
    start = max((a.sent + a.took for a in failing), default=back)
    recent = [a for a in after if a.sent >= after[-1].sent - 1.0]
    return start if recent and all(a.status == 200 for a in recent) else None
