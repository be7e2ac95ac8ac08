"""Login timing does not tell which e-mails have accounts (issue 10, item 5): on PostgreSQL, with
argon2id at its production cost, 50 wrong passwords for a real account and 50 for unknown
addresses take the same median time, within 10% (a ratio; no absolute time is asserted).

Each attempt comes from its own address, forwarded by a trusted proxy (the test itself), so the
login throttles never step in."""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator

import pytest

from .sandbox import Client
from .stack import Stack, running_stack

pytestmark = pytest.mark.e2e

ATTEMPTS = 50
KNOWN = "known@example.com"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    production_cost = {"argon2_time_cost": "3", "argon2_memory_kib": "65536"}
    with running_stack(
        tmp_path_factory.mktemp("timing"), trusted_proxies="127.0.0.1/32", **production_cost
    ) as live:
        live.start_api(argon2_parallelism="4")
        yield live


def _timed_login(client: Client, email: str, address: str) -> float:
    started = time.perf_counter()
    client.request(
        "POST",
        "/api/auth/login",
        json={"email": email, "password": "not the password at all"},
        headers={"X-Forwarded-For": address},
        expect=401,
    )
    return time.perf_counter() - started


def test_a_known_and_an_unknown_e_mail_cost_the_same(stack: Stack) -> None:
    assert stack.sandbox is not None
    client = Client(stack.sandbox.base_url)
    client.post(
        "/api/auth/register",
        {"email": KNOWN, "password": "a fine long passphrase"},
        expect=201,
        headers={"X-Forwarded-For": "10.9.9.9"},
    )
    for n in range(6):  # every worker makes its dummy hash and warms its pool first
        _timed_login(client, f"warm{n}@example.com", f"10.8.0.{n + 1}")
        _timed_login(client, KNOWN, f"10.8.1.{n + 1}")

    known, unknown = [], []
    for n in range(ATTEMPTS):  # interleaved, so that drift in the machine's load hits both alike
        known.append(_timed_login(client, KNOWN, f"10.1.{n}.1"))
        unknown.append(_timed_login(client, f"nobody{n}@example.com", f"10.2.{n}.1"))

    ratio = statistics.median(unknown) / statistics.median(known)
    print(
        f"medians: known {statistics.median(known):.4f}s unknown {statistics.median(unknown):.4f}s"
    )
    assert 1 / 1.1 <= ratio <= 1.1, (statistics.median(known), statistics.median(unknown))


def test_the_api_workers_count_failures_in_one_shared_table(stack: Stack) -> None:
    """Two gunicorn workers, one count: ten failures from an address stop the eleventh attempt
    whichever worker takes it (per-process counters would let up to twenty through)."""
    assert stack.sandbox is not None
    client = Client(stack.sandbox.base_url)
    attacker = {"X-Forwarded-For": "192.0.2.66"}
    body = {"email": KNOWN, "password": "not the password at all"}
    for _ in range(10):
        client.request("POST", "/api/auth/login", json=body, headers=attacker, expect=401)

    client.request("POST", "/api/auth/login", json=body, headers=attacker, expect=429)

    rows = stack.query(
        "SELECT hits FROM throttle_counters WHERE key = %s", f"login:pair:{KNOWN}|192.0.2.66"
    )
    assert rows == [(10,)]
