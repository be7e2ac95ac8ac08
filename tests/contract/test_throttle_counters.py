"""The attempt counters behind the login and registration throttles, on memory and PostgreSQL:
fixed windows that reopen after they close, atomic under concurrent hits, purged when closed."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator

import pytest

from adapters.memory.throttle import MemoryCounters
from adapters.postgres.throttle import PostgresCounters
from ports.throttle import Counters

from .builders import T0

WINDOW = dt.timedelta(minutes=15)


@pytest.fixture(params=["memory", "postgres"])
def counters(request: pytest.FixtureRequest) -> Iterator[Counters]:
    if request.param == "memory":
        yield MemoryCounters()
    else:
        yield PostgresCounters(request.getfixturevalue("pg").pool)


def test_hits_count_up_within_a_window_that_keeps_its_end(counters: Counters):
    first = counters.hit("login:addr:192.0.2.1", WINDOW, T0)
    second = counters.hit("login:addr:192.0.2.1", WINDOW, T0 + dt.timedelta(minutes=5))

    assert (first.hits, first.resets_at) == (1, T0 + WINDOW)
    assert (second.hits, second.resets_at) == (2, T0 + WINDOW)
    assert counters.peek("login:addr:192.0.2.1", T0 + dt.timedelta(minutes=6)).hits == 2


def test_keys_count_apart(counters: Counters):
    counters.hit("a", WINDOW, T0)
    counters.hit("a", WINDOW, T0)

    assert counters.hit("b", WINDOW, T0).hits == 1
    assert counters.peek("c", T0).hits == 0


def test_a_closed_window_counts_nothing_and_the_next_hit_opens_a_new_one(counters: Counters):
    for _ in range(3):
        counters.hit("k", WINDOW, T0)
    later = T0 + WINDOW

    assert counters.peek("k", later).hits == 0
    reopened = counters.hit("k", WINDOW, later)
    assert (reopened.hits, reopened.resets_at) == (1, later + WINDOW)


def test_forget_drops_the_counter(counters: Counters):
    counters.hit("k", WINDOW, T0)
    counters.forget("k")
    counters.forget("never-there")

    assert counters.peek("k", T0).hits == 0


def test_purge_drops_closed_windows_only(counters: Counters):
    counters.hit("old", dt.timedelta(minutes=1), T0)
    counters.hit("young", WINDOW, T0)

    assert counters.purge(T0 + dt.timedelta(minutes=2)) == 1
    assert counters.peek("young", T0 + dt.timedelta(minutes=2)).hits == 1
    assert counters.purge(T0 + dt.timedelta(minutes=2)) == 0


def test_concurrent_hits_are_all_counted(counters: Counters):
    threads, each = 8, 10
    start = threading.Barrier(threads)

    def run() -> None:
        start.wait()
        for _ in range(each):
            counters.hit("raced", WINDOW, T0)

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()

    assert counters.peek("raced", T0).hits == threads * each
    assert counters.hit("raced", WINDOW, T0).hits == threads * each + 1
