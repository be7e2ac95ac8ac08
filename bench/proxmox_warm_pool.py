"""An order served from the warm pool against a cold one, on the Proxmox adapter and PVE simulator.

Each order goes through the real create saga: `ordering.create_server`, then its provisioning job
(run from the container's job queue), with the real `ProxmoxHypervisor` injected into the
composition root and talking HTTP to the simulator. Its pauses (task polling every second) move
the simulator's clock, as in the contract rig, so the run measures virtual seconds: how long a
customer would wait on a real cluster whose tasks last `TASK_SECONDS`, without waiting for real.

- cold: no pool; the saga creates the guest (LXC: `vzcreate`; QEMU: a full clone, its cloud-init
  config and its disk growth), then starts it;
- warm: a pool of one ready guest (built by `refill_warm_pool` beforehand, off the order's path);
  the saga claims it, reconfigures it (name, network, password, disk growth), then starts it.

Both run for an LXC image and a QEMU one of the sandbox catalogue, each on a fresh cluster. The
order is the smallest tariff (1 core, 1 GiB, 20 GiB) in Moscow; pooled guests have the catalogue's
minimum size (10 GiB), so the warm path grows the disk once.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from contextlib import contextmanager

import attrs

from adapters.memory import FakeClock, InlineJobQueue
from adapters.proxmox.client import ProxmoxClient
from adapters.proxmox.config import ProxmoxConnection, ProxmoxSite
from adapters.proxmox.hypervisor import ProxmoxHypervisor
from adapters.proxmox.lxc_password import SshLxcPasswordCommand, SshSettings
from domain.model.accounts import Role
from domain.model.catalogue import GuestKind
from domain.model.commands import BalanceAdjustment, NewAccount, OrderRequest
from domain.model.server import ServerStatus
from domain.model.warm_pool import CLAIMED_STEP
from domain.usecases import accounts, money, ordering
from domain.usecases.actors import Actor
from domain.usecases.runtime import Runtime
from domain.usecases.warm_pool import refill_warm_pool
from entrypoints import sandbox
from simulators.proxmox import ProxmoxSimulator
from tests.backoffice import FAST, Backoffice
from tests.contract.proxmox_rig import SimulatedNodeShell

START = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
LOCATION, TARIFF = 1, 1
IMAGES = {GuestKind.LXC: 1, GuestKind.QEMU: 4}  # Ubuntu 24.04 (LXC), Ubuntu 22.04 (VM)
SETTINGS = FAST
# Seconds each PVE worker lasts: the middle of the ranges in the team's PVE reference (§5.4, for
# local LVM-thin storage): LXC create from a local template 10-60 s, LXC start 1-5 s, full clone of
# a 10-40 GiB template 15 s to minutes, resize 1-5 s. A QEMU start is taken as long as an LXC one:
# its task ends when the VM process runs, before the guest OS has booted.
TASK_SECONDS = {
    "vzcreate": 30,
    "qmclone": 90,
    "vzstart": 5,
    "qmstart": 5,
    "resize": 2,
    "qmconfig": 1,
    "vzstop": 2,
    "qmstop": 2,
    "vzdestroy": 5,
    "qmdestroy": 5,
}


@attrs.frozen
class Order:
    virtual: float  # seconds on the simulated cluster's clock, order to running
    real: float  # seconds this process took to play it
    requests: int  # HTTP requests to PVE, task polls included
    claimed: bool  # the saga took a pooled guest


@contextmanager
def _cluster(clock: FakeClock) -> Iterator[tuple[ProxmoxSimulator, ProxmoxHypervisor]]:
    """Moscow's sandbox nodes with the catalogue's templates (each node its own copy of a QEMU
    template, as local storage clones only on its own node), and the adapter on them."""
    nodes = [node for location_id, node in sandbox.sandbox_nodes() if location_id == LOCATION]
    simulator = ProxmoxSimulator(clock, task_seconds=TASK_SECONDS, resources_lag_seconds=10)
    for node in nodes:
        simulator.add_node(node, **sandbox.NODE_CAPACITY)
    sandbox.stock_templates(simulator, nodes=nodes)
    with simulator:
        connection = ProxmoxConnection(simulator.url, simulator.token_id, simulator.token_secret)

        def pause(seconds: float) -> None:  # the adapter's waits move the cluster's clock
            clock.advance(seconds)

        client = ProxmoxClient(connection, sleep=pause)
        hypervisor = ProxmoxHypervisor(
            client,
            {LOCATION: ProxmoxSite(tuple(nodes), "local-lvm", "vmbr0", ("1.1.1.1",))},
            clock=clock,
            sleep=pause,
            lxc_password_command=SshLxcPasswordCommand(
                SshSettings(), SimulatedNodeShell(simulator)
            ),
        )
        yield simulator, hypervisor
        client.close()
    assert simulator.violations == [], simulator.violations


def _funded_customer(rt: Runtime) -> Actor:
    admin = accounts.register(rt, NewAccount("root@admin.example", "bench-pass", role=Role.ADMIN))
    customer = accounts.register(rt, NewAccount("bench@example.com", "bench-pass"))
    money.adjust_balance(
        rt,
        Actor(admin.id, Role.ADMIN),
        BalanceAdjustment(customer.id, "1000.00", "bench", request_key="bench-credit"),
    )
    return Actor(customer.id, Role.CUSTOMER)


def _order(kind: GuestKind, *, pooled: int) -> tuple[Order, float]:
    """One order on a fresh cluster, with `pooled` ready guests of its image; also the virtual
    seconds the pool took to fill beforehand."""
    image_id = IMAGES[kind]
    clock = FakeClock(START)
    with _cluster(clock) as (simulator, hypervisor):
        pools = (((LOCATION, image_id), pooled),) if pooled else ()
        # The order is taken now; its job runs right after, timed with it.
        jobs = InlineJobQueue(auto_run=False)
        office = Backoffice(
            attrs.evolve(SETTINGS, warm_pool=pools), clock=clock, hypervisor=hypervisor, jobs=jobs
        )
        rt = office.rt
        customer = _funded_customer(rt)
        filled_at = clock.now()
        if pooled:
            assert refill_warm_pool(rt).built == pooled
        refill = (clock.now() - filled_at).total_seconds()

        requests, began, wall = len(simulator.requests), clock.now(), time.perf_counter()
        created = ordering.create_server(
            rt, customer, OrderRequest(os_id=image_id, location_id=LOCATION, tariff_id=TARIFF)
        )
        jobs.run_pending()
        real = time.perf_counter() - wall
        with rt.uow() as uow:
            server = uow.servers.get(created.server.id)
        assert server is not None and server.status is ServerStatus.RUNNING, server
        guest = simulator.guest(server.placement.vmid or 0)
        assert guest is not None and guest["status"] == "running", guest
        order = Order(
            virtual=(clock.now() - began).total_seconds(),
            real=real,
            requests=len(simulator.requests) - requests,
            claimed=CLAIMED_STEP in server.saga_steps,
        )
    assert order.claimed == bool(pooled), order
    return order, refill


def main() -> None:
    print("proxmox create saga, warm pool against cold create (virtual seconds on the cluster):")
    for kind in IMAGES:
        cold, _ = _order(kind, pooled=0)
        warm, refill = _order(kind, pooled=1)
        print(
            f"  {kind.value}: cold {cold.virtual:.0f} s ({cold.requests} requests), "
            f"warm {warm.virtual:.0f} s ({warm.requests} requests), "
            f"ratio {cold.virtual / warm.virtual:.1f}x; pool refill beforehand {refill:.0f} s; "
            f"real time {cold.real:.2f} s + {warm.real:.2f} s"
        )


if __name__ == "__main__":
    main()
