"""Where real-time events go: subscribers in this process (the sandbox), or PostgreSQL's
LISTEN/NOTIFY to every realtime process (adapters.postgres.events)."""

from adapters.events.local import LocalEventBus

__all__ = ["LocalEventBus"]
