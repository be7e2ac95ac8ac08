"""End-to-end fixtures: a live sandbox per test module (see sandbox.py)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from .infrastructure import proxmox_backend
from .sandbox import Sandbox, running_sandbox

# The hypervisors a sandbox can run on: its own simulated one, or the real Proxmox adapter talking
# to the PVE simulator in the test process (over HTTPS, with LXC passwords over a fake ssh).
SANDBOX_HYPERVISOR = "sandbox"
PROXMOX_HYPERVISOR = "proxmox"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A module that sets `SANDBOX_HYPERVISORS` runs all its sandbox tests once per hypervisor."""
    hypervisors = getattr(metafunc.module, "SANDBOX_HYPERVISORS", None)
    if hypervisors and "sandbox" in metafunc.fixturenames:
        metafunc.parametrize("sandbox_hypervisor", hypervisors, indirect=True, scope="module")


@pytest.fixture(scope="module")
def sandbox_hypervisor(request: pytest.FixtureRequest) -> str:
    return str(getattr(request, "param", SANDBOX_HYPERVISOR))


@pytest.fixture(scope="module")
def sandbox(
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
    sandbox_hypervisor: str,
) -> Iterator[Sandbox]:
    """`hostprovider serve` on a free port. A module may set `SANDBOX_TASK_SECONDS` to slow the
    simulated hypervisor down (0 by default: every task finishes at the scheduler's next poll),
    `SANDBOX_SETTINGS` to pass more HOSTPROVIDER_* variables, and `SANDBOX_HYPERVISORS` to run on
    more than the sandbox's own hypervisor."""
    task_seconds = getattr(request.module, "SANDBOX_TASK_SECONDS", 0)
    settings = dict(getattr(request.module, "SANDBOX_SETTINGS", {}))
    workdir: Path = tmp_path_factory.mktemp("sandbox")
    with contextlib.ExitStack() as outside:
        if sandbox_hypervisor == PROXMOX_HYPERVISOR:
            # Entered first, left last: the cluster outlives the sandbox that talks to it.
            cluster = outside.enter_context(proxmox_backend(workdir, task_seconds))
            settings.update(cluster.settings)
        elif sandbox_hypervisor != SANDBOX_HYPERVISOR:
            raise ValueError(f"unknown sandbox hypervisor {sandbox_hypervisor!r}")
        live = outside.enter_context(
            running_sandbox(workdir, task_seconds=task_seconds, settings=settings)
        )
        yield live
