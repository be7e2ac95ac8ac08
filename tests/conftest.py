"""What every test shares: the order the suite runs in, and what the CLI sets up process-wide put
back after each test."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

import pytest

# The suite runs on parallel workers (pytest-xdist, one module at a time each; see the Makefile).
# Modules are handed out in collection order, so the long ones (live processes, browsers, database
# outages) go first: run last, one of them would keep a worker busy while the others stand idle.
LONG_FIRST = ("tests/e2e/", "tests/contract/")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        path = item.nodeid
        return next((n for n, prefix in enumerate(LONG_FIRST) if path.startswith(prefix)), 99)

    items.sort(key=rank)  # stable: within a rank, the collection order


@pytest.fixture(autouse=True)
def _process_state_restored() -> Iterator[None]:
    """A test that runs a `hostprovider` command in this process must not leave its process-wide
    set-up behind: PGAPPNAME (every later subprocess would take the command's name for its
    connections) and the root logger's handlers (they write to that test's captured streams,
    closed once it ends)."""
    name = os.environ.get("PGAPPNAME")
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    if name is None:
        os.environ.pop("PGAPPNAME", None)
    else:
        os.environ["PGAPPNAME"] = name
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    for handler in handlers:
        if handler not in root.handlers:
            root.addHandler(handler)
    root.setLevel(level)
