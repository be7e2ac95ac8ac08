"""The periodic ticks and how often they run. The sandbox runs them in a thread; the real scheduler
(the persistence issue) runs them as procrastinate periodic tasks, once across all schedulers."""

from __future__ import annotations

from collections.abc import Callable

import attrs

from domain.usecases.accounts import purge_expired
from domain.usecases.dunning import bill_and_reassess, dunning_run
from domain.usecases.fabric_reconcile import reconcile_fabric
from domain.usecases.monitoring import monitoring_pass
from domain.usecases.notices import deliver_notices
from domain.usecases.reconcile import reconcile_guests
from domain.usecases.runtime import Runtime
from domain.usecases.warm_pool import refill_warm_pool


@attrs.frozen
class Tick:
    name: str
    every_seconds: int
    run: Callable[[Runtime], object]


def ticks(monitor_seconds: int = 30) -> tuple[Tick, ...]:
    """Every tick, the monitoring pass as often as configured."""
    return (Tick("monitoring", monitor_seconds, monitoring_pass), *TICKS[1:])


TICKS = (
    Tick("monitoring", 30, monitoring_pass),
    Tick("billing", 60, bill_and_reassess),  # billing, then the standing of whom it overdrew
    Tick("dunning", 300, dunning_run),
    Tick("notices", 10, deliver_notices),
    Tick("warm_pool", 60, refill_warm_pool),
    Tick("reconcile_guests", 300, reconcile_guests),
    Tick("reconcile_fabric", 300, reconcile_fabric),
    Tick("expired_sessions", 300, purge_expired),
)
