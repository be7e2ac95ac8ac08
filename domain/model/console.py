"""One-time console links.

`POST /api/server/console` makes a link `<public url>/console/<secret>`: the secret is random
(256 bits), only its SHA-256 is stored, and it opens one console session of one server for the
customer who asked, if that session starts within CONSOLE_LINK_TTL. Once a session started on it
the link is spent: opening it again (after the session ended, or beside it) is refused.
"""

from __future__ import annotations

import datetime as dt
import enum

import attrs

CONSOLE_LINK_TTL = dt.timedelta(seconds=60)
# Failed console openings (unknown, spent or expired links) allowed per client address and window.
CONSOLE_FAILURES_PER_WINDOW = 20
CONSOLE_FAILURE_WINDOW = dt.timedelta(minutes=10)


class ConsoleEnd(enum.Enum):
    """Why a console session ended, for the page to say."""

    CLOSED = "closed"  # the viewer or the hypervisor closed it
    IDLE = "idle"  # nothing typed or moved for the idle timeout
    STOPPED = "stopped"  # the server stopped, or was deleted or taken away


@attrs.frozen
class ConsoleLink:
    digest: str  # SHA-256 of the secret, hex
    server_id: int
    account_id: int
    created_at: dt.datetime
    expires_at: dt.datetime
    opened_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    end_reason: ConsoleEnd | None = None

    def state(self, now: dt.datetime) -> str:
        """`ready` (may open now), `open` (a session runs), `ended` or `expired`."""
        if self.ended_at is not None:
            return "ended"
        if self.opened_at is not None:
            return "open"
        return "ready" if now < self.expires_at else "expired"


@attrs.frozen
class ConsoleGrant:
    """What a started session may reach: the guest, and what the page shows of it."""

    digest: str
    server_id: int
    account_id: int
    node: str
    vmid: int
    hostname: str
    os_name: str
