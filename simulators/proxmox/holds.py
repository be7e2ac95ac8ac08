"""Holding requests at the simulator, so that a test knows where its client is when it acts.

A test that kills a client "at step X" must know the client is at X: it holds the request X makes.
`after` (the default) carries the request out and holds its answer: PVE did it, the client never
hears so (a kill then is the worst case for a retry). `before` holds the request before PVE acts;
once released it is carried out, late, as PVE would a request that reached it before the client
died.
"""

from __future__ import annotations

import re
import threading


class Hold:
    def __init__(self, method: str, path: str, *, count: int, before: bool, timeout: float):
        self.method, self.pattern, self.before = method, re.compile(path), before
        self.timeout = timeout
        self.caught: list[str] = []  # the paths held so far
        self._count = count
        self._all_caught = threading.Event()
        self._released = threading.Event()

    def matches(self, method: str, path: str, before: bool) -> bool:
        return (
            before == self.before
            and method == self.method
            and len(self.caught) < self._count
            and self.pattern.search(path) is not None
        )

    def catch(self, path: str) -> None:
        """Called with the simulator's holds lock held, for a matching request."""
        self.caught.append(path)
        if len(self.caught) == self._count:
            self._all_caught.set()

    def wait_released(self) -> None:
        self._released.wait(self.timeout)  # a test that forgets to release does not hang forever

    # --- the test's side -----------------------------------------------------------------------
    def wait_caught(self, timeout: float) -> bool:
        """True once `count` requests are held."""
        return self._all_caught.wait(timeout)

    def release(self) -> None:
        self._released.set()


class Holds:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holds: list[Hold] = []

    def add(self, hold: Hold) -> Hold:
        with self._lock:
            self._holds.append(hold)
        return hold

    def pause(self, method: str, path: str, *, before: bool) -> None:
        """Wait here if a hold wants this request; nothing otherwise."""
        with self._lock:
            hold = next((h for h in self._holds if h.matches(method, path, before)), None)
            if hold is not None:
                hold.catch(path)
        if hold is not None:
            hold.wait_released()

    def release_all(self) -> None:
        with self._lock:
            holds, self._holds = self._holds, []
        for hold in holds:
            hold.release()
