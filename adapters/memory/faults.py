"""Planned failures for the fakes: "the next N calls of this operation fail like so"."""

from __future__ import annotations

import threading
from typing import Any

import attrs


@attrs.define
class Fault:
    remaining: int
    immediate: bool = False
    message: str = ""
    error: Exception | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)


class FaultPlan:
    """Faults per operation, first armed first served; thread-safe."""

    def __init__(self) -> None:
        self._armed: dict[str, list[Fault]] = {}
        self._lock = threading.Lock()

    def arm(self, operation: str, fault: Fault) -> None:
        if fault.remaining < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._armed.setdefault(operation, []).append(fault)

    def take(self, operation: str, *, immediate: bool | None = None) -> Fault | None:
        """Consume one use of the operation's next fault, if it is of the asked sort."""
        with self._lock:
            queue = self._armed.get(operation)
            if not queue:
                return None
            head = queue[0]
            if immediate is not None and head.immediate != immediate:
                return None
            head.remaining -= 1
            if head.remaining == 0:
                queue.pop(0)
            return head

    def armed(self, operation: str) -> int:
        with self._lock:
            return sum(f.remaining for f in self._armed.get(operation, []))

    def clear(self) -> None:
        with self._lock:
            self._armed.clear()
