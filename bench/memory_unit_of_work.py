"""The memory store's unit of work at growing table sizes (`python -m bench.memory_unit_of_work`).

One unit of work per server, each replacing its server (what a use case acting on one server
does), over a servers table of N; beside it, the same N replacements straight into a dict. A unit
of work that copied the whole table on its first write costs N per unit of work, N² in all: its
ratio grows with N. One that notes only what it changes keeps the same ratio at every size. The
bench asserts every server was written; it times nothing it asserts.
"""

from __future__ import annotations

import copy
import time

from adapters.memory.store import InMemoryStore
from bench.billing_memory import START, _meter
from domain.model.catalogue import GuestKind, ServerConfig
from domain.model.server import Placement, Server, ServerStatus

SIZES = (1_000, 10_000, 30_000)


def _server(n: int) -> Server:
    return Server(
        id=n, owner_id=1, name=f"s{n}", location_id=1, image_id=1, tariff_id=2,
        guest_kind=GuestKind.LXC, config=ServerConfig(2, 2048, 40),
        status=ServerStatus.RUNNING, created_at=START, updated_at=START, catalogue_version=1,
        meter=_meter(), placement=Placement(node="pve-msk-1", vmid=100 + n),
    )  # fmt: skip


def measure(size: int) -> tuple[float, float]:
    servers = [_server(n) for n in range(1, size + 1)]
    store = InMemoryStore()
    with store.uow() as uow:
        for server in servers:
            uow.servers.add(server)
        uow.commit()
    started = time.perf_counter()
    for server in servers:
        with store.uow() as uow:
            renamed = copy.copy(server)
            renamed.name = f"r{server.id}"
            uow.servers.update(renamed)
            uow.commit()
    ours = time.perf_counter() - started
    assert all(s.name.startswith("r") for s in store.tables["servers"].values())
    table = {s.id: s for s in servers}
    started = time.perf_counter()
    for server in servers:
        renamed = copy.copy(server)
        renamed.name = f"r{server.id}"
        table[server.id] = renamed
    return ours, time.perf_counter() - started


def main() -> None:
    print("| servers | a unit of work per server | plain dict | ratio | per unit of work |")
    print("|---|---|---|---|---|")
    measure(SIZES[0])  # warm: the first units of work pay for imports and caches
    for size in SIZES:
        ours, bare = measure(size)
        print(f"| {size:,} | {ours:.3f} s | {bare:.3f} s | {ours / bare:.0f}x |"
              f" {ours / size * 1e6:.1f} us |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
