"""Resource alerts with hysteresis: one notice when a metric crosses its threshold, none again until
it has come back below a lower mark. A metric hovering around 90% therefore raises one incident, not
a notice per sample. On top of that, a server's metric e-mails its owner at most once an hour: an
incident that opens and closes (or flaps) within the hour is one e-mail.
"""

from __future__ import annotations

import datetime as dt
import enum

import attrs


class Metric(enum.Enum):
    CPU = "cpu"
    MEMORY = "memory"
    DISK = "disk"


@attrs.frozen
class AlertRule:
    metric: Metric
    raise_at: int = 90  # percent
    clear_below: int = 80

    def __attrs_post_init__(self) -> None:
        if not 0 <= self.clear_below < self.raise_at <= 100:
            raise ValueError("an alert clears strictly below the level it raises at")


DEFAULT_RULES = tuple(AlertRule(m) for m in Metric)


MAIL_INTERVAL = dt.timedelta(hours=1)


class AlertEvent(enum.Enum):
    RAISED = "raised"
    CLEARED = "cleared"


class AlertLevel(enum.Enum):
    """How loud an alert event is: an incident above its threshold warns, one near the ceiling is
    critical, and its end is news."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


CRITICAL_ABOVE = 98  # percent


def level_of(event: AlertEvent, usage_percent: int) -> AlertLevel:
    if event is AlertEvent.CLEARED:
        return AlertLevel.INFO
    return AlertLevel.CRITICAL if usage_percent > CRITICAL_ABOVE else AlertLevel.WARNING


@attrs.frozen
class AlertState:
    server_id: int
    metric: Metric
    active: bool = False
    since: dt.datetime | None = None
    mailed_at: dt.datetime | None = None  # when an e-mail about this metric was last written

    def may_mail(self, now: dt.datetime) -> bool:
        return self.mailed_at is None or now - self.mailed_at >= MAIL_INTERVAL

    def mailed(self, now: dt.datetime) -> AlertState:
        return attrs.evolve(self, mailed_at=now)


def evaluate(
    rule: AlertRule, state: AlertState, usage_percent: int, now: dt.datetime
) -> tuple[AlertState, AlertEvent | None]:
    """The next state for one sample, and the event if an incident opened or closed."""
    if not state.active and usage_percent > rule.raise_at:
        return attrs.evolve(state, active=True, since=now), AlertEvent.RAISED
    if state.active and usage_percent < rule.clear_below:
        return attrs.evolve(state, active=False, since=now), AlertEvent.CLEARED
    return state, None


def usage_percent(used: int, maximum: int) -> int:
    """Whole percent used, rounded down; 0 when there is no maximum."""
    return (used * 100) // maximum if maximum > 0 else 0
