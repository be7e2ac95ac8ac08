"""The JSON shapes every view shares: money (two places, six for hourly rates), moments (RFC 3339
in UTC), and one page of a long list."""

from __future__ import annotations

import datetime as dt
from typing import Any

from domain.model.money import Money, Rounding

Json = dict[str, Any]


def money(value: Money, places: int = 2) -> Json:
    """Every amount the same way: `amount` rounded half up to `places` (kopecks, or six places for
    a rate per hour), and `exact` to the micro-unit."""
    return {
        "amount": value.format(places, Rounding.HALF_UP),
        "exact": value.format(6),
        "currency": value.currency,
    }


def rate(value: Money) -> Json:
    """A price per hour: six places, because a fraction of a kopeck per hour adds up."""
    return money(value, 6)


def when(moment: dt.datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def page(items: list[Json], number: int, per_page: int, total: int) -> Json:
    return {
        "data": items,
        "meta": {
            "pagination": {
                "page": number,
                "perPage": per_page,
                "per_page": per_page,  # its first spelling, kept for the clients that read it
                "total": total,
                "pages": (total + per_page - 1) // per_page,
            }
        },
    }
