"""Dunning: what happens to an account as its prepaid balance runs out, and when it is paid again.

    active -> low_balance (a reminder: runway under N hours)
           -> restricted  (balance at or below zero: no new servers)
           -> suspended   (still unpaid after a grace: servers stopped, data kept)
           -> terminated  (still unpaid after a longer grace: servers deleted)

Paying (a balance above zero again, with runway) restores the account to active from any state, and
the servers that dunning stopped are started again. Each step produces exactly one notice.
"""

from __future__ import annotations

import datetime as dt
import enum

import attrs

from domain.model.money import Money


class Standing(enum.Enum):
    ACTIVE = "active"
    LOW_BALANCE = "low_balance"
    RESTRICTED = "restricted"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"

    @property
    def may_order(self) -> bool:
        return self in (Standing.ACTIVE, Standing.LOW_BALANCE)


@attrs.frozen
class DunningPolicy:
    reminder_runway_hours: int = 72
    suspend_after: dt.timedelta = dt.timedelta(hours=24)
    terminate_after: dt.timedelta = dt.timedelta(days=14)


@attrs.frozen
class Assessment:
    standing: Standing
    since: dt.datetime
    previous: Standing

    @property
    def changed(self) -> bool:
        return self.standing is not self.previous

    @property
    def notice(self) -> str | None:
        """The template of the notice this step sends, if any: one per step, none for no change."""
        if not self.changed:
            return None
        if self.standing is Standing.ACTIVE:
            # A low balance that was topped up needs no notice of its own.
            return None if self.previous is Standing.LOW_BALANCE else "account_restored"
        return f"account_{self.standing.value}"


def runway_hours(balance: Money, burn_hourly: Money) -> int | None:
    """Whole hours the balance lasts at the current burn; None when nothing is burning."""
    if burn_hourly.micro <= 0:
        return None
    return max(balance.micro, 0) // burn_hourly.micro


def assess(
    standing: Standing,
    since: dt.datetime,
    *,
    balance: Money,
    burn_hourly: Money,
    now: dt.datetime,
    policy: DunningPolicy,
) -> Assessment:
    """The standing an account should have now. Pure: the dunning run applies it."""
    runway = runway_hours(balance, burn_hourly)

    def to(wanted: Standing) -> Assessment:
        if wanted is standing:
            return Assessment(standing, since, standing)
        return Assessment(wanted, now, standing)

    if balance.micro > 0:
        if (
            runway is not None
            and runway < policy.reminder_runway_hours
            and standing
            in (
                Standing.ACTIVE,
                Standing.LOW_BALANCE,
            )
        ):
            return to(Standing.LOW_BALANCE)
        return to(Standing.ACTIVE)
    # Nothing left: no new servers. Only an account with something to pay for falls further.
    if standing in (Standing.ACTIVE, Standing.LOW_BALANCE):
        if balance.is_zero and burn_hourly.is_zero:
            return to(
                standing
            )  # a new or idle account owes nothing: no reason to restrict or write
        return to(Standing.RESTRICTED)
    if (
        standing is Standing.RESTRICTED
        and burn_hourly.micro > 0
        and now - since >= policy.suspend_after
    ):
        return to(Standing.SUSPENDED)
    if standing is Standing.SUSPENDED and now - since >= policy.terminate_after:
        return to(Standing.TERMINATED)
    return to(standing)
