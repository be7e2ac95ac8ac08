"""The JSON shapes every view shares: money (two places, six for hourly rates), moments (RFC 3339
in UTC), and one page of a long list."""

from __future__ import annotations

import datetime as dt
from typing import Any

from domain.model.money import Money, Rounding
from ports.paging import Page

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


def page(items: list[Json], shown: Page, total: int) -> Json:
    """One page of a list route's answer: the items of `shown`, and where they stand in `total`."""
    return {
        "data": items,
        "meta": {
            "pagination": {
                "page": shown.page,
                "perPage": shown.per_page,
                "per_page": shown.per_page,  # its first spelling, kept for the clients that read it
                "total": total,
                "pages": (total + shown.per_page - 1) // shown.per_page,
            }
        },
    }
