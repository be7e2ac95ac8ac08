"""End-to-end fixtures: a live sandbox per test module (see sandbox.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .sandbox import Sandbox, running_sandbox


@pytest.fixture(scope="module")
def sandbox(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Sandbox]:
    """`hostprovider serve` on a free port. A module may set `SANDBOX_TASK_SECONDS` to slow the
    simulated hypervisor down (0 by default: every task finishes at the scheduler's next poll) and
    `SANDBOX_SETTINGS` to pass more HOSTPROVIDER_* variables."""
    task_seconds = getattr(request.module, "SANDBOX_TASK_SECONDS", 0)
    settings = getattr(request.module, "SANDBOX_SETTINGS", {})
    workdir: Path = tmp_path_factory.mktemp("sandbox")
    with running_sandbox(workdir, task_seconds=task_seconds, settings=settings) as live:
        yield live
