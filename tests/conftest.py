"""What every test shares: what the CLI sets up process-wide is put back after each test."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

import pytest


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
