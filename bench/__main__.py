"""`make bench`: every benchmark, each printing its ratios measured in the same run, and all of it
appended to bench/RESULTS.md under the date and the machine's load average when the run began
(the machine may be shared: the load says how far to trust the figures)."""

from __future__ import annotations

import contextlib
import io
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench import (
    billing_memory,
    billing_postgres,
    console_sessions,
    http_read,
    memory_rss,
    memory_unit_of_work,
    metrics_postgres,
    orders_on_nodes,
    proxmox_monitoring,
    proxmox_warm_pool,
    realtime_fanout,
)

RESULTS = Path(__file__).with_name("RESULTS.md")
BENCHES: list[tuple[str, Callable[[], None]]] = [
    ("billing_memory", billing_memory.main),
    ("memory_unit_of_work", memory_unit_of_work.main),
    ("billing_postgres", billing_postgres.main),
    ("proxmox_monitoring", proxmox_monitoring.main),
    ("proxmox_warm_pool", proxmox_warm_pool.main),
    ("metrics_postgres", metrics_postgres.main),
    ("realtime_fanout", realtime_fanout.main),
    ("http_read", http_read.main),
    ("console_sessions", console_sessions.main),
    ("memory_rss", memory_rss.main),  # BENCH_RSS_SECONDS of mixed load, 600 by default
    ("orders_on_nodes", orders_on_nodes.main),  # about 2 minutes, 1 of them the orders' run
]


class Tee(io.TextIOBase):
    """What the benches print, on the terminal and kept for RESULTS.md."""

    def __init__(self, terminal: io.TextIOBase) -> None:
        self.terminal, self.kept = terminal, io.StringIO()

    def write(self, text: str) -> int:
        self.terminal.write(text)
        self.terminal.flush()
        return self.kept.write(text)


def main() -> None:
    load = os.getloadavg()
    heading = (
        f"## `make bench`, {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC, load average"
        f" {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} ({os.cpu_count()} cores)"
    )
    tee = Tee(sys.stdout)  # type: ignore[arg-type]
    try:
        with contextlib.redirect_stdout(tee):
            for name, run in BENCHES:
                print(f"\n### {name}\n", flush=True)
                run()
    finally:
        with RESULTS.open("a", encoding="utf-8") as results:
            results.write(f"\n{heading}\n{tee.kept.getvalue()}")
        print(f"\nappended to {RESULTS}")


if __name__ == "__main__":
    main()
