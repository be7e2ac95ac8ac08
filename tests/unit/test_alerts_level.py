"""How loud an alert event is, as the live feed tells it."""

from __future__ import annotations

import pytest

from domain.model.alerts import AlertEvent, AlertLevel, level_of


@pytest.mark.parametrize(
    ("event", "usage", "level"),
    [
        (AlertEvent.RAISED, 91, AlertLevel.WARNING),
        (AlertEvent.RAISED, 98, AlertLevel.WARNING),
        (AlertEvent.RAISED, 99, AlertLevel.CRITICAL),
        (AlertEvent.RAISED, 100, AlertLevel.CRITICAL),
        (AlertEvent.CLEARED, 10, AlertLevel.INFO),
        (AlertEvent.CLEARED, 99, AlertLevel.INFO),
    ],
)
def test_warning_above_the_threshold_critical_near_the_ceiling_info_when_over(
    event: AlertEvent, usage: int, level: AlertLevel
) -> None:
    assert level_of(event, usage) is level
