"""Fakes for what leaves the system: mail and real-time events."""

from __future__ import annotations

import threading
from typing import Any

from adapters.memory.faults import Fault, FaultPlan
from domain.model.errors import ExternalFailure, Unavailable
from ports.messaging import OutgoingMail


class RecordingMailer:
    """Keeps every mail it accepted in `sent`; `fail_next` makes the next sends fail."""

    def __init__(self) -> None:
        self.sent: list[OutgoingMail] = []
        self.attempts = 0
        self._faults = FaultPlan()
        self._lock = threading.Lock()

    def send(self, mail: OutgoingMail) -> None:
        with self._lock:
            self.attempts += 1
            fault = self._faults.take("send")
            if fault is not None:
                if fault.extra.get("permanent"):
                    raise ExternalFailure(fault.message, to=mail.to)
                raise Unavailable(fault.message, to=mail.to)
            self.sent.append(mail)

    def fail_next(
        self, times: int = 1, *, permanent: bool = False, message: str | None = None
    ) -> None:
        """Transient failures (Unavailable) by default; `permanent` ones are a refused address."""
        text = message or ("550 mailbox unavailable" if permanent else "421 service not available")
        self._faults.arm("send", Fault(times, True, text, extra={"permanent": permanent}))

    def to(self, address: str) -> list[OutgoingMail]:
        with self._lock:
            return [m for m in self.sent if m.to == address]


class RecordingEventPublisher:
    """Keeps every event in `events` as (channel, payload)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()

    def publish(self, channel: str, payload: dict[str, Any]) -> None:
        with self._lock:
            self.events.append((channel, dict(payload)))

    def on(self, channel: str) -> list[dict[str, Any]]:
        with self._lock:
            return [payload for name, payload in self.events if name == channel]
