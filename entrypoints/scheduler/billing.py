"""How a scheduler runs the billing tick: page loops side by side, on threads of its own, so that
while one loop waits for the database to write its page another computes the next. The use case
(domain/usecases/billing.py) is one loop; the threads and the lock the loops share are the
scheduler's business."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from domain.usecases.billing import PAGE, BillingReport, BillingWindow, bill_pages, merged
from domain.usecases.dunning import bill_and_reassess
from domain.usecases.runtime import Runtime
from ports.billing import DueMeter

WORKERS = 2  # page loops per run: enough to overlap the computing with the database's work


class SharedClaims:
    """The servers the loops of one run have taken on, under a lock (billing.Claims)."""

    def __init__(self) -> None:
        self._taken: set[int] = set()
        self._lock = threading.Lock()

    def take(self, page: list[DueMeter]) -> list[DueMeter]:
        with self._lock:
            mine = [due for due in page if due.server_id not in self._taken]
            self._taken.update(due.server_id for due in mine)
        return mine


def billing_side_by_side(
    rt: Runtime, *, batch: int = PAGE, workers: int = WORKERS
) -> BillingReport:
    """One billing run of `workers` page loops, each on its own unit of work, splitting the
    servers the way concurrent runs do."""
    window = BillingWindow.of(rt)
    if workers <= 1:
        return bill_pages(rt, window, batch=batch)
    claims = SharedClaims()
    with ThreadPoolExecutor(workers, thread_name_prefix="billing") as pool:
        loops = [
            pool.submit(bill_pages, rt, window, batch=batch, claims=claims) for _ in range(workers)
        ]
        return merged(loop.result() for loop in loops)


def billing_tick(rt: Runtime) -> BillingReport:
    """The billing tick: bill side by side, then re-assess whom the run overdrew."""
    return bill_and_reassess(rt, bill=billing_side_by_side)
