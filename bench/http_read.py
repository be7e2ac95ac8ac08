"""The API's read path against its anchors, from outside, in one run (`python -m bench.http_read`).

Each product route is driven by wrk (2 threads, 32 connections, loopback) alternating with its
anchor, three rounds each (the median round is shown: one slow round on a shared machine says
little), the anchor served by the same gunicorn settings as the product:

- sandbox routes (one uvicorn worker, the API behind a2wsgi) against bare Falcon wrapped the same
  way (`bench.anchors.bare_asgi`);
- PostgreSQL routes (gthread workers, HOSTPROVIDER_WEB_WORKERS x HOSTPROVIDER_DB_POOL_SIZE) against
  Falcon plus one pooled psycopg query returning the customer's 20 servers
  (`bench.anchors.query_wsgi`), on the same scratch database.

It prints requests per second, p50 and p99 of each, and the ratio product/anchor; any non-2xx
answer is an error (the bench measures only correct answers), except in the row that sends a path
no route has through the whole middleware chain, against bare Falcon's own 404, where every answer
must be a 404. BENCH_SECONDS sets each route's time, split over the rounds (default 10).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import attrs
import psycopg
import requests
from psycopg import sql
from psycopg.conninfo import make_conninfo

from adapters.postgres.migrate import migrate
from bench.seeding import copy_servers, free_port

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
THREADS, CONNECTIONS = 2, 32
WORKERS, POOL = 2, 8  # the product's defaults: HOSTPROVIDER_WEB_WORKERS, HOSTPROVIDER_DB_POOL_SIZE
SERVERS = 20
EXAMPLE_CATALOGUE = Path(__file__).parents[1] / "deploy" / "catalogue.example.toml"
PASSWORD = "read path bench password"
BIN = Path(sys.executable).parent


@attrs.frozen
class Load:
    per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int


@attrs.frozen
class Route:
    label: str
    path: str
    method: str = "GET"
    body: str | None = None
    bearer: bool = True
    anchor_path: str = "/anchor"
    not_found: bool = False  # every answer, the product's and the anchor's, must be a 404


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def wrk(
    url: str,
    *,
    method: str = "GET",
    body: str | None = None,
    token: str | None = None,
    seconds: int = SECONDS,
) -> Load:
    # A JSON string is a valid Lua string literal for what we send (ASCII, no control characters).
    lines = [f"wrk.method = {json.dumps(method)}"]
    if body is not None:
        lines += [
            f"wrk.body = {json.dumps(body)}",
            'wrk.headers["Content-Type"] = "application/json"',
        ]
    if token is not None:
        lines.append(f'wrk.headers["Authorization"] = {json.dumps("Bearer " + token)}')
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
        lua.write("\n".join(lines) + "\n")
        lua.flush()
        finished = subprocess.run(
            [
                "wrk",
                f"-t{THREADS}",
                f"-c{CONNECTIONS}",
                f"-d{seconds}s",
                "--latency",
                "-s",
                lua.name,
                url,
            ],  # fmt: skip
            capture_output=True,
            text=True,
            check=True,  # fmt: skip
        )
    return parse_wrk(finished.stdout)


def parse_wrk(out: str) -> Load:
    """wrk's report (with --latency) as figures."""
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", out, re.M))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return Load(
        per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        p50_ms=_ms(latency["50"]),
        p99_ms=_ms(latency["99"]),
        requests=int(re.search(r"(\d+) requests in", out).group(1)),  # type: ignore[union-attr]
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
    )


def _environment(**settings: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("HOSTPROVIDER_", "BENCH_"))}
    return {
        **base,
        "HOSTPROVIDER_SECRET_KEY": "read path bench quote key " + "k" * 16,
        "HOSTPROVIDER_SMTP_HOST": "none",
        "HOSTPROVIDER_REQUESTS_PER_MINUTE": "100000000",  # the bench is one client address
        "HOSTPROVIDER_ADMIN_EMAIL": "admin@bench.example",
        "HOSTPROVIDER_ADMIN_PASSWORD": "read path bench admin password",
        "HOSTPROVIDER_DB_POOL_SIZE": str(POOL),
        "HOSTPROVIDER_WEB_WORKERS": str(WORKERS),
        **settings,
    }


PROCESSES: dict[str, subprocess.Popen[bytes]] = {}  # by base URL, while `_running` holds them


@contextlib.contextmanager
def _running(args: list[str], env: dict[str, str], probe: str) -> Iterator[str]:
    """A server process on a free port; yields its base URL once `probe` answers."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = PROCESSES[base] = subprocess.Popen(
        [a.replace("{bind}", f"127.0.0.1:{port}") for a in args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,  # fmt: skip
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(requests.RequestException):
                if requests.get(base + probe, timeout=2).status_code < 500:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{args} did not start")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
        del PROCESSES[base]


def _anchor(app: str, worker_class: str, workers: int) -> list[str]:
    return [str(BIN / "gunicorn"), "--bind", "{bind}", "--workers", str(workers),
            "--threads", str(POOL), "--worker-class", worker_class, app]  # fmt: skip


def _login(base: str, email: str) -> tuple[str, int]:
    """A new customer, through the API: its bearer token and id."""
    credentials = {"email": email, "password": PASSWORD}
    requests.post(f"{base}/api/auth/register", json=credentials, timeout=10)
    answer = requests.post(f"{base}/api/auth/login", json=credentials, timeout=10)
    answer.raise_for_status()
    token = str(answer.json()["access_token"])
    me = requests.get(
        f"{base}/api/auth/me", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    return token, int(me.json()["id"])


ROUNDS = 3  # anchor and product alternate, each run SECONDS / ROUNDS long


def _median(loads: list[Load]) -> Load:
    """The round of median throughput: on a shared machine one slow round says little."""
    return sorted(loads, key=lambda load: load.per_second)[len(loads) // 2]


def _compare(anchor: str, product: str, routes: list[Route], token: str) -> list[str]:
    """Each route and its anchor in alternating rounds, so that both see the same machine; the
    median round of each is shown."""
    rows = []
    seconds = max(2, SECONDS // ROUNDS)
    # Warm both first: a process that just started is still busy with its start (the sandbox's
    # scheduler runs its first ticks), which the first route would otherwise pay for.
    wrk(anchor + routes[0].anchor_path, seconds=2)
    wrk(product + "/healthz", seconds=2)
    time.sleep(1)
    for route in routes:
        anchor_loads, loads = [], []
        for _ in range(ROUNDS):
            anchor_loads.append(wrk(anchor + route.anchor_path, seconds=seconds))
            loads.append(
                wrk(
                    product + route.path,
                    method=route.method,
                    body=route.body,
                    token=token if route.bearer else None,
                    seconds=seconds,
                )
            )
        for who, measured in [("anchor", a) for a in anchor_loads] + [
            (route.label, m) for m in loads
        ]:
            wrong = measured.requests - measured.non_2xx if route.not_found else measured.non_2xx
            if wrong:
                raise SystemExit(f"{who}: {wrong} of {measured.requests} answers were wrong")
        load, anchor_load = _median(loads), _median(anchor_loads)
        rows.append(
            f"| {route.label} | {load.per_second:,.0f} req/s, p50 {load.p50_ms:.1f} ms,"
            f" p99 {load.p99_ms:.1f} ms | {anchor_load.per_second:,.0f} req/s,"
            f" p99 {anchor_load.p99_ms:.1f} ms | {load.per_second / anchor_load.per_second:.2f}x |"
        )
    return rows


NOT_FOUND = "/no/such/path"
SANDBOX_ROUTES = [
    Route(
        "sandbox 404 through the middleware chain",
        NOT_FOUND,
        bearer=False,
        anchor_path=NOT_FOUND,
        not_found=True,
    ),
    Route("sandbox `GET /api/os`", "/api/os", bearer=False),
    Route(
        "sandbox `POST /api/quote` (bearer)",
        "/api/quote",
        method="POST",
        body='{"osId": 1, "locationId": 1, "cores": 2, "memory": 2048, "disk": 40}',
    ),
    Route("sandbox `GET /api/balance` (bearer)", "/api/balance"),
]
POSTGRES_ROUTES = [
    Route(f"PostgreSQL `GET /api/server`, {SERVERS} servers (bearer)", "/api/server"),
    Route("PostgreSQL `GET /api/balance` (bearer)", "/api/balance"),
]


def sandbox_rows() -> list[str]:
    env = _environment(HOSTPROVIDER_MONITOR_SECONDS="3600")
    serve = [str(BIN / "hostprovider"), "serve", "--bind", "{bind}"]
    anchor = _anchor("bench.anchors:bare_asgi", "uvicorn_worker.UvicornWorker", 1)
    with _running(serve, env, "/healthz") as product, _running(anchor, env, "/anchor") as bare:
        token, _ = _login(product, "reader@bench.example")
        return _compare(bare, product, SANDBOX_ROUTES, token)


@contextlib.contextmanager
def _scratch_database() -> Iterator[str]:
    server = os.environ.get("HOSTPROVIDER_TEST_DATABASE_URL") or DEFAULT_SERVER
    raw = f"hostprovider_bench_{secrets.token_hex(4)}"
    name = sql.Identifier(raw)
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(name))
    try:
        yield make_conninfo(server, dbname=raw)
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))


def postgres_rows() -> list[str]:
    with _scratch_database() as url:
        migrate(url)
        env = _environment(
            HOSTPROVIDER_DATABASE_URL=url, HOSTPROVIDER_IN_PROCESS_INFRASTRUCTURE="1"
        )
        catalog = [str(BIN / "hostprovider"), "catalog", "import", str(EXAMPLE_CATALOGUE)]
        subprocess.run(catalog, env=env, check=True, capture_output=True)
        serve = [str(BIN / "hostprovider"), "serve", "--bind", "{bind}"]
        with _running(serve, env, "/healthz") as product:
            token, owner = _login(product, "reader@bench.example")
            copy_servers(url, SERVERS, lambda n: owner)
            anchor_env = {**env, "BENCH_DATABASE_URL": url, "BENCH_OWNER_ID": str(owner)}
            anchor = _anchor(
                "bench.anchors:query_wsgi", "entrypoints.gunicorn_worker.JsonLimitsWorker", WORKERS
            )
            with _running(anchor, anchor_env, "/anchor") as query:
                return _compare(query, product, POSTGRES_ROUTES, token)


def main() -> None:
    load = os.getloadavg()
    print(f"## API read path (`python -m bench.http_read`), {time.strftime('%Y-%m-%d %H:%M')} UTC,"
          f" load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")  # fmt: skip
    each = max(2, SECONDS // ROUNDS)
    print(f"wrk -t{THREADS} -c{CONNECTIONS} on loopback, {ROUNDS} alternating rounds of {each} s,"
          " the median round shown; no wrong answer\n")  # fmt: skip
    print("| route | product | anchor | ratio |\n|---|---|---|---|")
    for row in sandbox_rows() + postgres_rows():
        print(row, flush=True)


if __name__ == "__main__":
    main()
