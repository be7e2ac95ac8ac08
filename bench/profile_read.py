"""Where a read request's time goes, in one process (`python -m bench.profile_read [pyinstrument]`).

Builds the product's app exactly as a worker does (sandbox, and PostgreSQL on a scratch database
with the bench's 20 servers), warms it, then calls the WSGI app directly, without a server or a
socket, for each route of `bench.http_read` and for a 404 through the middleware chain, next to
bare Falcon. It prints the CPU time per request of each and the top of a cProfile (or pyinstrument,
given `pyinstrument` as argument) profile, which is what RESULTS.md summarizes before and after a
change to the read path. It asserts every answer is the expected status; it times nothing it
asserts.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import falcon
import falcon.testing

from adapters.postgres.migrate import migrate
from bench import http_read
from bench.anchors import bare_wsgi
from bench.seeding import copy_servers
from entrypoints import logs

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2000"))
WSGIApp = Callable[[dict[str, Any], Any], Any]


def _call(app: WSGIApp, method: str, path: str, body: str | None, token: str | None) -> int:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if body is not None:
        headers["Content-Type"] = "application/json"
    environ = falcon.testing.create_environ(
        path=path, method=method, body=body or "", headers=headers
    )
    statuses: list[str] = []
    chunks = app(environ, lambda status, headers, exc_info=None: statuses.append(status))
    for _ in chunks:
        pass
    if hasattr(chunks, "close"):
        chunks.close()
    return int(statuses[0].split()[0])


def _login(app: WSGIApp) -> str:
    client = falcon.testing.TestClient(app)  # type: ignore[arg-type]
    credentials = {"email": "profiler@bench.example", "password": http_read.PASSWORD}
    client.simulate_post("/api/auth/register", json=credentials)
    answer = client.simulate_post("/api/auth/login", json=credentials)
    assert answer.status_code == 200, answer.text
    return str(answer.json["access_token"])


def _measure(label: str, app: WSGIApp, route: http_read.Route | None, token: str | None,
             *, expected: int = 200, profiler: str = "cprofile") -> None:  # fmt: skip
    method, path, body = ("GET", http_read.NOT_FOUND, None) if route is None else (
        route.method, route.path, route.body)  # fmt: skip
    token = token if route is None or route.bearer else None
    for _ in range(50):  # warm: pools filled, caches made
        assert _call(app, method, path, body, token) == expected
    started, wall = time.process_time(), time.perf_counter()
    for _ in range(ROUNDS):
        _call(app, method, path, body, token)
    cpu_us = (time.process_time() - started) / ROUNDS * 1e6
    wall_us = (time.perf_counter() - wall) / ROUNDS * 1e6
    print(f"\n### {label}: {cpu_us:,.0f} us CPU, {wall_us:,.0f} us wall per request"
          f" ({ROUNDS} requests, one thread)")  # fmt: skip
    if profiler == "pyinstrument":
        from pyinstrument import Profiler

        with Profiler(interval=0.0002) as p:
            for _ in range(ROUNDS):
                _call(app, method, path, body, token)
        print(p.output_text(unicode=False, color=False, show_all=False, short_mode=True))
        return
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(ROUNDS):
        _call(app, method, path, body, token)
    profile.disable()
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(18)
    print(out.getvalue().split("\n", 6)[-1])


@contextmanager
def _environment(**settings: str) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(http_read._environment(**settings))
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _cpu_us(app: WSGIApp, rounds: int) -> float:
    for _ in range(50):
        _call(app, "GET", http_read.NOT_FOUND, None, None)
    started = time.process_time()
    for _ in range(rounds):
        _call(app, "GET", http_read.NOT_FOUND, None, None)
    return (time.process_time() - started) / rounds * 1e6


def middleware_costs(runtime: Any) -> None:
    """A 404 through bare Falcon with the error handlers, then with each component added in turn:
    what each one adds, and the whole chain against the bare request."""
    from entrypoints.http import errors
    from entrypoints.http.app import middleware_chain

    chain = middleware_chain(runtime, requests_per_minute=100_000_000)
    rows, previous = [], 0.0
    for count in range(len(chain) + 1):
        app = falcon.App(middleware=chain[:count], cors_enable=False)
        errors.install(app)
        cpu = min(_cpu_us(app, ROUNDS) for _ in range(3))
        name = "bare Falcon + error handlers" if count == 0 else type(chain[count - 1]).__name__
        rows.append(f"| {name} | {cpu:,.1f} us | {cpu - previous if count else cpu:+,.1f} us |")
        previous = cpu
    print("\n### a 404 through the chain, one component at a time (CPU per request, best of 3)")
    print("| component | cumulative | adds |\n|---|---|---|")
    print("\n".join(rows))


def sandbox(profiler: str) -> None:
    from entrypoints.config import load_settings
    from entrypoints.serve import sandbox_app

    with _environment(HOSTPROVIDER_MONITOR_SECONDS="3600"):
        app, container = sandbox_app(load_settings(dotenv=None))
    token = _login(app)
    middleware_costs(container.runtime())
    _measure("bare Falcon", bare_wsgi, None, None, expected=404, profiler=profiler)
    for route in http_read.SANDBOX_ROUTES:
        expected = 404 if route.not_found else 200
        _measure(route.label, app, route, token, expected=expected, profiler=profiler)


def postgres(profiler: str) -> None:
    from entrypoints.config import load_settings
    from entrypoints.serve import database_app

    with http_read._scratch_database() as url:
        migrate(url)
        with _environment(
            HOSTPROVIDER_DATABASE_URL=url, HOSTPROVIDER_IN_PROCESS_INFRASTRUCTURE="1"
        ):
            catalog = [str(http_read.BIN / "hostprovider"), "catalog", "import",
                       str(http_read.EXAMPLE_CATALOGUE)]  # fmt: skip
            subprocess.run(catalog, env=os.environ, check=True, capture_output=True)
            app, container = database_app(load_settings(dotenv=None))
        try:
            container.pool().wait(timeout=10)
            token = _login(app)
            with container.pool().connection() as conn:
                owner_id = conn.execute("SELECT max(id) FROM accounts").fetchone()[0]  # type: ignore[index]
            copy_servers(url, http_read.SERVERS, lambda n: owner_id)
            for route in http_read.POSTGRES_ROUTES:
                _measure(route.label, app, route, token, profiler=profiler)
        finally:
            container.pool().close()


def main() -> None:
    profiler = sys.argv[1] if len(sys.argv) > 1 else "cprofile"
    logs.configure("serve", stream=open(os.devnull, "w"))  # noqa: SIM115  # as a worker logs
    which = os.environ.get("BENCH_STORES", "sandbox,postgres").split(",")
    if "sandbox" in which:
        sandbox(profiler)
    if "postgres" in which:
        postgres(profiler)


if __name__ == "__main__":
    main()
