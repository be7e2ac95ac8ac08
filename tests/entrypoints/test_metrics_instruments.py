"""The metrics instruments are made once per process, even when their first uses race (a
scheduler's job threads start together): the bug was a DuplicateTimeseries failing the jobs."""

from __future__ import annotations

import subprocess
import sys

RACE = """
import threading
from entrypoints import metrics

start = threading.Barrier(16)
made, failures = [], []

def first_use():
    start.wait()
    try:
        made.append(metrics.instruments())
    except Exception as ex:
        failures.append(repr(ex))

threads = [threading.Thread(target=first_use) for _ in range(16)]
for t in threads:
    t.start()
for t in threads:
    t.join()
assert not failures, failures
assert len({id(m) for m in made}) == 1
print("once")
"""


def test_racing_first_uses_make_the_instruments_once() -> None:
    # A fresh interpreter: the instruments are per process, and this one may have made them.
    for _ in range(5):
        done = subprocess.run(
            [sys.executable, "-c", RACE], capture_output=True, text=True, timeout=60, check=False
        )
        assert done.returncode == 0 and done.stdout.strip() == "once", done.stderr
