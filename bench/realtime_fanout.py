"""One realtime process, 5,000 subscribed sockets, one monitoring pass for 5,000 servers.

A throwaway database gets a customer with 5,000 running servers; `hostprovider realtime` serves the
feed; the npm socket.io-client (the seed's client, `bench/realtime_clients.mjs`) opens 5,000
sockets, each subscribed to one server. A pass's 5,000 `server-stats` events are then committed as
NOTIFYs in one transaction, as a scheduler's pass does, and every socket's delivery is timed from
the moment before that commit. Prints p50/p99/max against the goal (p99 < 1 s) and the realtime
process's RSS before and after the sockets.

Needs node and `make test`'s npm install (tests/js/node_modules). Server:
HOSTPROVIDER_TEST_DATABASE_URL, else postgresql://postgres@127.0.0.1:5432.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import requests
from psycopg import sql
from psycopg.conninfo import make_conninfo

from adapters.postgres.events import CHANNEL, encode
from adapters.postgres.migrate import migrate
from bench.seeding import copy_servers, free_port
from domain.model.commands import Credentials, NewAccount
from domain.usecases import accounts
from entrypoints.config import load_settings
from entrypoints.container import build

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
SOCKETS = 5_000
GOAL_P99_MS = 1_000
CLIENTS = Path(__file__).with_name("realtime_clients.mjs")
PASSWORD = "fan-out bench password"


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _environment(url: str) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("HOSTPROVIDER_")},
        "HOSTPROVIDER_DATABASE_URL": url,
        "HOSTPROVIDER_SECRET_KEY": "fan-out bench quote key " + "k" * 16,
        "HOSTPROVIDER_SMTP_HOST": "none",
        "HOSTPROVIDER_IN_PROCESS_INFRASTRUCTURE": "1",  # the feed needs no hypervisor
        "HOSTPROVIDER_DB_POOL_SIZE": "8",
    }


def _seed(url: str) -> tuple[str, int]:
    """A customer, logged in, owning SOCKETS running servers; its token and first server id."""
    env = _environment(url)
    settings = load_settings(env, dotenv=None)
    container = build(settings)
    rt = container.runtime()
    account = accounts.register(rt, NewAccount("fanout@bench.example", PASSWORD))
    issued = accounts.login(rt, Credentials("fanout@bench.example", PASSWORD))
    container.pool().close()
    copy_servers(url, SOCKETS, lambda n: account.id)
    return issued.secret, 1


def _pass_events() -> list[str]:
    guest = {
        "status": "running",
        "uptime": 3600,
        "cpu": 0.12,
        "memory_used": 512 * 2**20,
        "memory_max": 2048 * 2**20,
        "disk_used": 4 * 2**30,
        "disk_max": 40 * 2**30,
        "net_in": 10**6,
        "net_out": 10**6,
        "disk_read": 10**7,
        "disk_write": 10**7,
    }
    percent = {"cpu": 12, "memory": 25, "disk": 10}
    return [
        encode(
            "server-stats",
            {"serverId": n, "guest": {"vmid": 99 + n, **guest}, "percent": percent},
        )
        for n in range(1, SOCKETS + 1)
    ]


def main() -> None:
    server = os.environ.get("HOSTPROVIDER_TEST_DATABASE_URL") or DEFAULT_SERVER
    name = f"hostprovider_bench_{secrets.token_hex(4)}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = make_conninfo(server, dbname=name)
    with contextlib.ExitStack() as stack:
        stack.callback(_drop, server, name)
        migrate(url)
        token, first = _seed(url)
        port = free_port()
        realtime = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "hostprovider"),
                "realtime",
                "--bind",
                f"127.0.0.1:{port}",
            ],  # fmt: skip
            env=_environment(url),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        stack.callback(_stop, realtime)
        base = f"http://127.0.0.1:{port}"
        _wait_answering(f"{base}/socket.io/?EIO=4&transport=polling", realtime)
        idle_rss = _rss_mib(realtime.pid)
        clients = subprocess.Popen(
            ["node", str(CLIENTS), base, token, str(first), str(SOCKETS)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        stack.callback(_stop, clients)
        began = time.monotonic()
        assert clients.stdout is not None and clients.stdin is not None
        assert clients.stdout.readline().strip() == "ready", "the clients did not get ready"
        connected_s = time.monotonic() - began
        loaded_rss = _rss_mib(realtime.pid)
        events = _pass_events()
        with psycopg.connect(url) as conn:
            with conn.cursor() as cur:
                cur.executemany("SELECT pg_notify(%s, %s)", [(CHANNEL, e) for e in events])
            committed_ms = time.time() * 1000  # before the commit: the delivery is timed from it
            conn.commit()
        clients.stdin.write(f"go {committed_ms:.0f}\n")
        clients.stdin.flush()
        result = json.loads(clients.stdout.readline())
        print(
            f"realtime fan-out: {result['received']}/{SOCKETS} sockets got the pass's "
            f"server-stats; p50 {result['p50']} ms, p99 {result['p99']} ms, max {result['max']} ms"
            f" (goal p99 < {GOAL_P99_MS} ms: ratio {result['p99'] / GOAL_P99_MS:.2f}); "
            f"{SOCKETS} sockets connected and subscribed in {connected_s:.1f} s; realtime RSS "
            f"{idle_rss:.0f} MiB idle, {loaded_rss:.0f} MiB with the sockets"
        )


def _wait_answering(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, "hostprovider realtime exited"
        with contextlib.suppress(requests.RequestException):
            if requests.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within 30 s")


def _stop(process: subprocess.Popen[str] | subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def _drop(server: str, name: str) -> None:
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


if __name__ == "__main__":
    main()
