"""Prometheus metrics of every process: what they count, and how they are gathered.

Counters and histograms (requests, jobs, ticks, saga step failures) are recorded by the process
that does the work. Under gunicorn each worker is its own process, so they live in
prometheus_client's multiprocess mode: every worker writes its values to files in one directory
(PROMETHEUS_MULTIPROC_DIR) and a scrape of any worker sums them all. The client library picks the
mode when it is first imported, so the directory is chosen in the gunicorn master before anything
imports it (`use_shared_directory`) and the instruments are made lazily, on first use.

The state of the books (ledger totals, the warm pool, servers in flight) is not counted as it
happens but read from the store at scrape time (`StateCollector`): it is the same whichever
process answers, and it is right after any restart.
"""

from __future__ import annotations

import atexit
import collections
import functools
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from domain.model.ledger import AccountKind, LedgerAccount
from domain.usecases.provisioning import SAGA_FAILED
from domain.usecases.runtime import Runtime
from ports.messaging import EventPublisher

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry, Counter, Histogram
    from prometheus_client.core import Metric

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def use_shared_directory() -> str:
    """Put this process and its future children in multiprocess mode; call before any fork.

    An operator's PROMETHEUS_MULTIPROC_DIR is emptied first (a previous run's files would add
    their counts to ours); without one, a private directory is made and removed at exit."""
    given = os.environ.get(MULTIPROCESS_ENV)
    if given:
        directory = Path(given)
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):
            stale.unlink()
        return given
    made = tempfile.mkdtemp(prefix="hostprovider-metrics-")
    atexit.register(shutil.rmtree, made, ignore_errors=True)
    os.environ[MULTIPROCESS_ENV] = made
    return made


def multiprocess() -> bool:
    return bool(os.environ.get(MULTIPROCESS_ENV))


def worker_exited(pid: int) -> None:
    """gunicorn's child_exit hook: a dead worker's live gauges stop counting (its counters stay,
    so totals never go backwards when a worker is replaced)."""
    if multiprocess():
        from prometheus_client import multiprocess as mp

        mp.mark_process_dead(pid)


@attrs.frozen
class Instruments:
    requests: Counter
    request_seconds: Histogram
    jobs: Counter
    job_failures: Counter
    job_seconds: Histogram
    ticks: Counter
    tick_failures: Counter
    tick_seconds: Histogram
    saga_step_failures: Counter


_made: list[Instruments] = []
_making = threading.Lock()


def instruments() -> Instruments:
    """The process's instruments, made on first use: once, even when the first uses race (a
    scheduler's job threads start together; registering a metric twice is an error)."""
    if not _made:
        with _making:
            if not _made:
                _made.append(_make_instruments())
    return _made[0]


def _make_instruments() -> Instruments:
    from prometheus_client import Counter, Histogram

    return Instruments(
        requests=Counter(
            "hostprovider_http_requests",
            "HTTP requests answered, by route template, method and status",
            ["route", "method", "status"],
        ),
        request_seconds=Histogram(
            "hostprovider_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template, method and status",
            ["route", "method", "status"],
        ),
        jobs=Counter("hostprovider_jobs", "Background jobs run, by task", ["task"]),
        job_failures=Counter(
            "hostprovider_job_failures", "Background jobs that raised, by task", ["task"]
        ),
        job_seconds=Histogram(
            "hostprovider_job_duration_seconds",
            "Time a background job ran, by task",
            ["task"],
            buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
        ),
        ticks=Counter("hostprovider_ticks", "Periodic ticks run, by tick", ["tick"]),
        tick_failures=Counter(
            "hostprovider_tick_failures", "Periodic ticks that raised, by tick", ["tick"]
        ),
        tick_seconds=Histogram(
            "hostprovider_tick_duration_seconds",
            "Time a periodic tick took (tick=monitoring: a monitoring pass), by tick",
            ["tick"],
            buckets=(0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
        ),
        saga_step_failures=Counter(
            "hostprovider_saga_step_failures",
            "Sagas that failed and were compensated, by saga and the step that failed",
            ["saga", "step"],
        ),
    )


def timed_job(task: str, run: Callable[..., Any]) -> Callable[..., Any]:
    """`run` counted and timed as the job `task`; a raise is a failure and is re-raised."""

    @functools.wraps(run)
    def job(*args: Any, **kwargs: Any) -> Any:
        m = instruments()
        with _timed(m.jobs, m.job_failures, m.job_seconds, task):
            return run(*args, **kwargs)

    return job


def timed_tick(tick: str, run: Callable[[], Any]) -> Any:
    m = instruments()
    with _timed(m.ticks, m.tick_failures, m.tick_seconds, tick):
        return run()


class _timed:
    def __init__(self, runs: Counter, failures: Counter, seconds: Histogram, label: str) -> None:
        self.runs, self.failures, self.seconds, self.label = runs, failures, seconds, label

    def __enter__(self) -> None:
        self.started = time.perf_counter()

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        self.seconds.labels(self.label).observe(time.perf_counter() - self.started)
        self.runs.labels(self.label).inc()
        if kind is not None:
            self.failures.labels(self.label).inc()


class CountingEventPublisher:
    """Passes every event on to `inner`, counting the saga failures by step on the way."""

    def __init__(self, inner: EventPublisher) -> None:
        self.inner = inner

    def publish(self, channel: str, payload: dict[str, Any]) -> None:
        if channel == SAGA_FAILED:
            saga, step = str(payload.get("saga")), str(payload.get("step"))
            instruments().saga_step_failures.labels(saga, step).inc()
        self.inner.publish(channel, payload)


SYSTEM_ACCOUNTS = tuple(kind for kind in AccountKind if not kind.per_customer)


class StateCollector:
    """Gauges read from the store at scrape time. A store that does not answer gives no gauges
    (and `hostprovider_state_up 0`) rather than a failed scrape: the counters still matter."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def collect(self) -> Iterator[Metric]:
        try:
            families = self._read()
        except Exception:  # noqa: BLE001 - a scrape reports a failing store, it never fails
            families = []
        up: list[tuple[tuple[str, ...], int]] = [((), 1 if families else 0)]
        yield _gauge("hostprovider_state_up", "1 if the store answered this scrape", [], up)
        yield from families

    def _read(self) -> list[Metric]:
        """Every gauge, read in one unit of work (so a failing store fails before any is shown)."""
        currency = self.runtime.policy.currency
        with self.runtime.uow() as uow:
            ledger = {
                (kind.value, currency): uow.ledger.balance(LedgerAccount.system(kind, currency))
                for kind in SYSTEM_ACCOUNTS
            }
            pool = collections.Counter(
                (str(g.location_id), str(g.image_id), g.state.value) for g in uow.warm_pool.all()
            )
            in_flight = collections.Counter((s.status.value,) for s in uow.servers.in_progress())
            running = {(command,): n for command, n in uow.actions.running_by_command().items()}
        return [
            _gauge(
                "hostprovider_ledger_balance_micro",
                "Balance of each system ledger account, in micro-units (the customers' wallets "
                "and holds are its mirror image: every transaction sums to zero)",
                ["account", "currency"],
                ledger.items(),
            ),
            _gauge(
                "hostprovider_warm_pool_guests",
                "Guests in the warm pool, by location, OS image and state",
                ["location", "image", "state"],
                pool.items(),
            ),
            _gauge(
                "hostprovider_servers_in_progress",
                "Servers with a create or a delete in flight, by status",
                ["status"],
                in_flight.items(),
            ),
            _gauge(
                "hostprovider_actions_running",
                "Actions started and not finished (the customers' pending tasks), by command",
                ["command"],
                running.items(),
            ),
        ]


def _gauge(
    name: str, documentation: str, labels: list[str], values: Iterable[tuple[tuple[str, ...], int]]
) -> Metric:
    from prometheus_client.core import GaugeMetricFamily

    family = GaugeMetricFamily(name, documentation, labels=labels)
    for label_values, value in values:
        family.add_metric(list(label_values), value)
    return family


def registry(runtime: Runtime | None = None) -> CollectorRegistry:
    """What a scrape shows: this process's instruments (all workers' in multiprocess mode) and,
    given a runtime, the state of the store."""
    from prometheus_client import REGISTRY, CollectorRegistry
    from prometheus_client import multiprocess as mp

    instruments()  # every family is listed from the first scrape on, even at zero
    if multiprocess():
        gathered = CollectorRegistry()
        mp.MultiProcessCollector(gathered)
    else:
        gathered = CollectorRegistry()
        gathered.register(_Forward(REGISTRY))
    if runtime is not None:
        gathered.register(StateCollector(runtime))
    return gathered


class _Forward:
    """The process's default registry inside another one (which also gets the state)."""

    def __init__(self, inner: CollectorRegistry) -> None:
        self.inner = inner

    def collect(self) -> Iterator[Metric]:
        return iter(self.inner.collect())


def render(gathered: CollectorRegistry) -> bytes:
    from prometheus_client import generate_latest

    return generate_latest(gathered)
