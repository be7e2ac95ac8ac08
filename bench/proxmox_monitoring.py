"""A monitoring pass over 10,000 guests on 20 Proxmox nodes of one cluster, on the PVE simulator.

Two measurements in one run, over the same simulated cluster:
- the adapter's pass: `ProxmoxHypervisor.all_stats()`, as `monitoring_pass` calls it, several
  times; each must cost one HTTP request (`GET /cluster/resources`), counted from the simulator's
  request log, whatever the number of guests or nodes;
- the whole use case: `monitoring_pass` through the container with that adapter injected and the
  in-memory store seeded with one running server per guest (it maps guests to servers by vmid),
  so the ratio says what the use case adds to the read.

The simulator answers from a thread of this process, so CPU time is reported twice: the calling
thread's (`time.thread_time`: the client's requests, JSON decoding and parsing, plus the use case)
and the whole process's (`time.process_time`: that plus the simulator building its answer).
Between passes the clock moves by the scheduler's monitoring interval, so every pass reads fresh
figures (the simulator refreshes its cluster view every 10 s of its clock, as pvestatd does).
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections.abc import Callable

import attrs

from adapters.memory import FakeClock
from adapters.proxmox.client import ProxmoxClient
from adapters.proxmox.config import ProxmoxConnection, ProxmoxSite
from adapters.proxmox.hypervisor import ProxmoxHypervisor
from domain.model.catalogue import GuestKind, ServerConfig
from domain.model.metering import Meter
from domain.model.money import Money
from domain.model.promo import NO_DISCOUNT
from domain.model.server import Placement, Server, ServerStatus
from domain.usecases.monitoring import monitoring_pass
from domain.usecases.runtime import Runtime
from simulators.proxmox import ProxmoxSimulator
from tests.backoffice import FAST, Backoffice

START = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
NODES = 20
FIRST_VMID = 1000
PASS_INTERVAL = 30.0  # seconds between the scheduler's monitoring ticks
LOCATION = 1
SETTINGS = FAST


@attrs.frozen
class Pass:
    requests: int
    guests: int
    thread_cpu: float
    process_cpu: float
    wall: float


def _measured(simulator: ProxmoxSimulator, clock: FakeClock, run: Callable[[], int]) -> Pass:
    clock.advance(PASS_INTERVAL)
    sent = len(simulator.requests)
    thread, process, wall = time.thread_time(), time.process_time(), time.perf_counter()
    guests = run()
    return Pass(
        requests=len(simulator.requests) - sent,
        guests=guests,
        thread_cpu=time.thread_time() - thread,
        process_cpu=time.process_time() - process,
        wall=time.perf_counter() - wall,
    )


def _cluster(simulator: ProxmoxSimulator, guests: int) -> list[tuple[str, int]]:
    """`guests` running containers spread evenly over the nodes; (node, vmid) of each."""
    placed: list[tuple[str, int]] = []
    per_node = -(-guests // NODES)
    for n in range(NODES):
        node = f"pve-{n + 1:02d}"
        simulator.add_node(node, cores=128, memory_mib=1024 * 1024, disk_gib=20_000)
        count = min(per_node, guests - len(placed))
        vmids = simulator.seed_guests(node, count, FIRST_VMID + len(placed), memory_mib=1024)
        placed += [(node, vmid) for vmid in vmids]
    for n, (_, vmid) in enumerate(placed):
        # Figures below every alert threshold: the pass samples, it raises nothing.
        simulator.set_usage(vmid, cpu=0.05 + (n % 20) / 100, memory_used=(200 + n % 300) << 20)
    return placed


def _populate(runtime: Runtime, placed: list[tuple[str, int]]) -> None:
    hourly = Money.parse("1.90", "RUB")
    meter = Meter.start(hourly, Money.parse("600.00", "RUB"), NO_DISCOUNT, START)
    with runtime.uow() as uow:
        for n, (node, vmid) in enumerate(placed):
            uow.servers.add(
                Server(
                    id=uow.servers.next_id(),
                    owner_id=1 + n % 100,
                    name=f"s{n}",
                    location_id=LOCATION,
                    image_id=1,
                    tariff_id=1,
                    guest_kind=GuestKind.LXC,
                    config=ServerConfig(1, 1024, 10),
                    status=ServerStatus.RUNNING,
                    created_at=START,
                    updated_at=START,
                    catalogue_version=1,
                    meter=meter,
                    placement=Placement(node=node, vmid=vmid),
                )
            )
        uow.commit()


def _mean(passes: list[Pass], field: str) -> float:
    return sum(getattr(p, field) for p in passes) / len(passes)


def _line(label: str, passes: list[Pass]) -> str:
    return (
        f"  {label}: {len(passes)} passes, {passes[0].guests} guests each, "
        f"requests per pass {sorted({p.requests for p in passes})}; per pass: "
        f"client CPU {_mean(passes, 'thread_cpu'):.3f} s, "
        f"process CPU {_mean(passes, 'process_cpu'):.3f} s, wall {_mean(passes, 'wall'):.3f} s"
    )


def main(guests: int = 10_000, adapter_passes: int = 5, usecase_passes: int = 2) -> None:
    clock = FakeClock(START)
    with ProxmoxSimulator(clock, resources_lag_seconds=10) as simulator:
        placed = _cluster(simulator, guests)
        nodes = tuple(sorted({node for node, _ in placed}))
        connection = ProxmoxConnection(simulator.url, simulator.token_id, simulator.token_secret)

        def pause(seconds: float) -> None:  # the adapter's waits move the cluster's clock
            clock.advance(seconds)

        client = ProxmoxClient(connection, sleep=pause)
        hypervisor = ProxmoxHypervisor(
            client,
            {LOCATION: ProxmoxSite(nodes, "local-lvm", "vmbr0")},
            clock=clock,
            sleep=pause,
        )
        runtime = Backoffice(SETTINGS, clock=clock, hypervisor=hypervisor).rt
        _populate(runtime, placed)

        def read() -> int:
            return len(hypervisor.all_stats())

        def monitor() -> int:
            report = monitoring_pass(runtime)
            assert report.raised == 0, report  # the figures stay below every threshold
            return report.sampled

        read()  # the first connection and the simulator's first cluster view stay out
        adapter = [_measured(simulator, clock, read) for _ in range(adapter_passes)]
        usecase = [_measured(simulator, clock, monitor) for _ in range(usecase_passes)]
        client.close()
        assert simulator.violations == [], simulator.violations
        sent = set(simulator.requests)

    for run in (*adapter, *usecase):
        # One cluster, one request per pass; every guest read and (in the use case) sampled.
        assert (run.requests, run.guests) == (1, guests), run
    assert sent == {("GET", "/cluster/resources")}, sent
    print(f"proxmox monitoring, {guests} guests on {NODES} nodes (1 cluster):")
    print(_line("all_stats()", adapter))
    print(_line("monitoring_pass", usecase))
    ratio = _mean(usecase, "thread_cpu") / _mean(adapter, "thread_cpu")
    print(f"  use case / adapter read, client CPU: {ratio:.1f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
