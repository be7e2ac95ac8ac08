"""Resident memory of an API worker and of a scheduler after mixed load
(`python -m bench.memory_rss`; BENCH_RSS_SECONDS sets the load's length, 600 by default).

On a scratch PostgreSQL database with the example catalogue, `hostprovider serve` (its default
workers and threads) and one `hostprovider scheduler` (its jobs and ticks on the same database,
hypervisor and firewall simulated in process) run side by side while wrk sends a mix of the read
path's requests (servers, balance, images, quotes) as one customer with 20 servers. RSS is read
from /proc at the start and at the end: each API worker's (the gunicorn master's children) and the
scheduler's. Every answer must be 2xx; the bench asserts that, and times nothing it asserts.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path

from adapters.postgres.migrate import migrate
from bench import http_read
from bench.seeding import copy_servers

SECONDS = int(os.environ.get("BENCH_RSS_SECONDS", "600"))
GOALS_MIB = {"API worker": 120, "scheduler": 150}

MIX = """
local paths = {"/api/server", "/api/balance", "/api/os", "/api/quote"}
local n = 0
request = function()
  n = n + 1
  local path = paths[(n % #paths) + 1]
  local headers = {["Authorization"] = "Bearer TOKEN"}
  if path == "/api/quote" then
    headers["Content-Type"] = "application/json"
    return wrk.format("POST", path, headers,
      '{"osId": 1, "locationId": 1, "cores": 2, "memory": 2048, "disk": 40}')
  end
  return wrk.format("GET", path, headers)
end
"""


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                status = (entry / "status").read_text()
            except OSError:
                continue
            if f"\nPPid:\t{pid}\n" in status:
                found.append(int(entry.name))
    return sorted(found)


def mixed_load(base: str, token: str, seconds: int) -> http_read.Load:
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
        lua.write(MIX.replace("TOKEN", token))
        lua.flush()
        out = subprocess.run(
            [
                "wrk",
                f"-t{http_read.THREADS}",
                f"-c{http_read.CONNECTIONS}",
                f"-d{seconds}s",
                "--latency",
                "-s",
                lua.name,
                base,
            ],  # fmt: skip
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    return http_read.parse_wrk(out)


def main() -> None:
    with http_read._scratch_database() as url:
        migrate(url)
        env = http_read._environment(
            HOSTPROVIDER_DATABASE_URL=url, HOSTPROVIDER_IN_PROCESS_INFRASTRUCTURE="1"
        )
        catalog = [str(http_read.BIN / "hostprovider"), "catalog", "import",
                   str(http_read.EXAMPLE_CATALOGUE)]  # fmt: skip
        subprocess.run(catalog, env=env, check=True, capture_output=True)
        serve = [str(http_read.BIN / "hostprovider"), "serve", "--bind", "{bind}"]
        scheduler = subprocess.Popen(
            [str(http_read.BIN / "hostprovider"), "scheduler"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            with http_read._running(serve, env, "/healthz") as product:
                token, owner = http_read._login(product, "rss@bench.example")
                copy_servers(url, http_read.SERVERS, lambda n: owner)
                master = http_read.PROCESSES[product].pid
                workers = children(master)
                assert workers and scheduler.poll() is None, "the processes did not start"
                before = {w: rss_mib(w) for w in workers}, rss_mib(scheduler.pid)
                started = time.monotonic()
                load = mixed_load(product, token, SECONDS)
                elapsed = time.monotonic() - started
                if load.non_2xx:
                    raise SystemExit(f"{load.non_2xx} of {load.requests} answers were not 2xx")
                assert scheduler.poll() is None, "the scheduler died under load"
                after = {w: rss_mib(w) for w in workers}, rss_mib(scheduler.pid)
        finally:
            scheduler.terminate()
            scheduler.wait(timeout=30)
    print(f"{elapsed:.0f} s of mixed load, {load.requests:,} requests ({load.per_second:,.0f}/s,"
          f" p99 {load.p99_ms:.0f} ms), every answer 2xx\n")  # fmt: skip
    print("| process | RSS at start | RSS after the load | goal |\n|---|---|---|---|")
    for worker in workers:
        print(f"| API worker {worker} | {before[0][worker]:.0f} MiB | {after[0][worker]:.0f} MiB |"
              f" < {GOALS_MIB['API worker']} MiB |")  # fmt: skip
    print(f"| scheduler | {before[1]:.0f} MiB | {after[1]:.0f} MiB |"
          f" < {GOALS_MIB['scheduler']} MiB |")  # fmt: skip


if __name__ == "__main__":
    main()
