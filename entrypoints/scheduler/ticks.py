"""The periodic ticks and how often they run. The sandbox runs them in a thread; the real scheduler
(the persistence issue) runs them as procrastinate periodic tasks, once across all schedulers."""

from __future__ import annotations

from collections.abc import Callable

import attrs

from domain.usecases.accounts import purge_expired
from domain.usecases.billing import billing_run
from domain.usecases.dunning import dunning_run
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


TICKS = (
    Tick("monitoring", 30, monitoring_pass),
    Tick("billing", 60, billing_run),
    Tick("dunning", 300, dunning_run),
    Tick("notices", 10, deliver_notices),
    Tick("warm_pool", 60, refill_warm_pool),
    Tick("reconcile_guests", 300, reconcile_guests),
    Tick("reconcile_fabric", 300, reconcile_fabric),
    Tick("expired_sessions", 300, purge_expired),
)
