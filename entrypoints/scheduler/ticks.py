"""The periodic ticks and how often they run. The sandbox runs them in a thread; the real scheduler
(the persistence issue) runs them as procrastinate periodic tasks, once across all schedulers."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import attrs

from domain.usecases.accounts import purge_expired
from domain.usecases.dunning import dunning_run
from domain.usecases.fabric_reconcile import reconcile_fabric
from domain.usecases.metrics import maintain_metrics
from domain.usecases.monitoring import monitoring_pass
from domain.usecases.notices import deliver_notices
from domain.usecases.payment_reconcile import reconcile_payments
from domain.usecases.reconcile import reconcile_guests
from domain.usecases.runtime import Runtime
from domain.usecases.warm_pool import refill_warm_pool
from domain.usecases.webhooks import deliver_webhooks
from entrypoints.metrics import timed_tick
from entrypoints.scheduler.billing import billing_tick

log = logging.getLogger("hostprovider.scheduler")


def report_fields(report: object) -> dict[str, Any]:
    """A tick's report as JSON-ready fields (never a Python repr in a log line)."""
    if attrs.has(type(report)):
        return attrs.asdict(report, recurse=True)  # type: ignore[arg-type]
    return {} if report is None else {"result": str(report)}


def nothing_happened(report: object) -> bool:
    """Every count zero and every list empty: the tick found nothing to do."""
    return not any(report_fields(report).values())


@attrs.frozen
class Tick:
    name: str
    every_seconds: int
    run: Callable[[Runtime], object]
    # A quiet tick is logged at DEBUG: a healthy idle scheduler says nothing at INFO.
    quiet: Callable[[Any], bool] = nothing_happened

    def __call__(self, runtime: Runtime) -> object:
        """Run once and log one line: what it did (INFO), or that it had nothing to do (DEBUG)."""
        report = timed_tick(self.name, lambda: self.run(runtime))
        level = logging.DEBUG if self.quiet(report) else logging.INFO
        log.log(level, "tick %s", self.name, extra={"tick": self.name, **report_fields(report)})
        return report


def ticks(monitor_seconds: int = 30) -> tuple[Tick, ...]:
    """Every tick, the monitoring pass as often as configured."""
    return (attrs.evolve(TICKS[0], every_seconds=monitor_seconds), *TICKS[1:])


TICKS = (
    Tick("monitoring", 30, monitoring_pass, quiet=lambda r: not (r.raised or r.cleared)),
    # billing, then the standing of whom it overdrew
    Tick("billing", 60, billing_tick),
    Tick("dunning", 300, dunning_run, quiet=lambda r: not r.changed),
    Tick("notices", 10, deliver_notices),
    Tick("webhooks", 10, deliver_webhooks),
    Tick("warm_pool", 60, refill_warm_pool),
    Tick("reconcile_guests", 300, reconcile_guests),
    Tick("reconcile_fabric", 300, reconcile_fabric, quiet=lambda r: not (r.changed or r.errors)),
    Tick("expired_sessions", 300, purge_expired),
    Tick("metrics_upkeep", 300, maintain_metrics, quiet=lambda r: not r.changed),
    # payments pending past HOSTPROVIDER_PAYMENT_RECONCILE_MINUTES, asked of the gateway
    Tick("payments", 60, reconcile_payments),
)
