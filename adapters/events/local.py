"""Real-time events within one process: the sandbox's scheduler thread publishes, its realtime
server relays. Publishing never waits for a subscriber and never fails the publisher."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger("hostprovider.events")

Subscriber = Callable[[str, dict[str, Any]], None]


class LocalEventBus:
    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []
        self._lock = threading.Lock()

    def publish(self, channel: str, payload: dict[str, Any]) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for subscriber in subscribers:
            try:
                subscriber(channel, payload)
            except Exception:  # one broken listener must not stop a monitoring pass
                log.exception("an event subscriber failed on %s", channel)

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Add a subscriber (it must hand off quickly); returns the function that removes it."""
        with self._lock:
            self._subscribers.append(subscriber)

        def unsubscribe() -> None:
            with self._lock:
                if subscriber in self._subscribers:
                    self._subscribers.remove(subscriber)

        return unsubscribe
