from __future__ import annotations

import datetime as dt

import pytest

from domain.model.dunning import Assessment, DunningPolicy, Standing, assess, runway_hours
from domain.model.money import Money
from domain.model.notices import TEMPLATES

from .factories import RUB, at, rub

NOW = at(2025, 3, 10, 12)
SINCE = at(2025, 3, 1)
POLICY = (
    DunningPolicy()
)  # reminder under 72 h of runway, suspend after 24 h, terminate after 14 days
BURN = rub("3.00")


def run(
    standing: Standing, balance: str, *, since: dt.datetime = SINCE, burn: Money = BURN
) -> Assessment:
    return assess(standing, since, balance=rub(balance), burn_hourly=burn, now=NOW, policy=POLICY)


class TestRunway:
    @pytest.mark.parametrize(
        ("balance", "burn", "hours"),
        [
            ("10.00", "3.00", 3),
            ("9.00", "3.00", 3),
            ("8.99", "3.00", 2),
            ("0.00", "3.00", 0),
            ("-5.00", "3.00", 0),
        ],
    )
    def test_whole_hours(self, balance: str, burn: str, hours: int) -> None:
        assert runway_hours(rub(balance), rub(burn)) == hours

    def test_nothing_burning_has_no_runway(self) -> None:
        assert runway_hours(rub("10.00"), Money.zero(RUB)) is None


class TestAssess:
    def test_plenty_of_runway_stays_active_and_keeps_its_since(self) -> None:
        a = run(Standing.ACTIVE, "216.00")  # 72 h x 3.00: exactly the threshold, not under it
        assert (a.standing, a.since, a.changed, a.notice) == (Standing.ACTIVE, SINCE, False, None)

    def test_short_runway_reminds_once(self) -> None:
        a = run(Standing.ACTIVE, "215.99")  # 71 h
        assert (a.standing, a.since, a.notice) == (Standing.LOW_BALANCE, NOW, "account_low_balance")
        again = run(Standing.LOW_BALANCE, "200.00", since=NOW)
        assert (again.standing, again.changed, again.notice) == (Standing.LOW_BALANCE, False, None)

    def test_no_servers_no_reminder(self) -> None:
        assert run(Standing.ACTIVE, "1.00", burn=Money.zero(RUB)).standing is Standing.ACTIVE

    @pytest.mark.parametrize("standing", [Standing.ACTIVE, Standing.LOW_BALANCE])
    @pytest.mark.parametrize("balance", ["0.00", "-0.01"])
    def test_empty_balance_restricts(self, standing: Standing, balance: str) -> None:
        a = run(standing, balance)
        assert (a.standing, a.since, a.notice) == (Standing.RESTRICTED, NOW, "account_restricted")

    def test_an_idle_account_that_owes_nothing_is_left_alone(self) -> None:
        a = run(Standing.ACTIVE, "0.00", burn=Money.zero(RUB))  # e.g. just registered
        assert (a.standing, a.changed, a.notice) == (Standing.ACTIVE, False, None)
        assert run(Standing.ACTIVE, "-0.01", burn=Money.zero(RUB)).standing is Standing.RESTRICTED

    def test_suspends_after_the_grace(self) -> None:
        almost = run(Standing.RESTRICTED, "-1.00", since=NOW - dt.timedelta(hours=24, seconds=-1))
        assert (almost.standing, almost.notice) == (Standing.RESTRICTED, None)
        a = run(Standing.RESTRICTED, "-1.00", since=NOW - dt.timedelta(hours=24))
        assert (a.standing, a.since, a.notice) == (Standing.SUSPENDED, NOW, "account_suspended")

    def test_nothing_to_pay_for_is_never_suspended(self) -> None:
        a = run(
            Standing.RESTRICTED, "0.00", since=NOW - dt.timedelta(days=365), burn=Money.zero(RUB)
        )
        assert (a.standing, a.changed) == (Standing.RESTRICTED, False)

    def test_terminates_after_the_longer_grace(self) -> None:
        almost = run(Standing.SUSPENDED, "-1.00", since=NOW - dt.timedelta(days=14, seconds=-1))
        assert almost.standing is Standing.SUSPENDED
        a = run(Standing.SUSPENDED, "-1.00", since=NOW - dt.timedelta(days=14))
        assert (a.standing, a.notice) == (Standing.TERMINATED, "account_terminated")

    def test_a_late_run_takes_one_step_at_a_time(self) -> None:
        # a month overdue and restricted: suspended now, terminated only 14 days from now
        a = run(Standing.RESTRICTED, "-1.00", since=NOW - dt.timedelta(days=30))
        assert (a.standing, a.since) == (Standing.SUSPENDED, NOW)

    def test_terminated_stays_terminated_while_unpaid(self) -> None:
        a = run(Standing.TERMINATED, "-1.00", since=NOW - dt.timedelta(days=100))
        assert (a.standing, a.notice) == (Standing.TERMINATED, None)

    @pytest.mark.parametrize(
        "standing", [Standing.RESTRICTED, Standing.SUSPENDED, Standing.TERMINATED]
    )
    def test_paying_restores_from_any_state(self, standing: Standing) -> None:
        a = run(standing, "1000.00")
        assert (a.standing, a.since, a.previous, a.notice) == (
            Standing.ACTIVE,
            NOW,
            standing,
            "account_restored",
        )

    def test_topping_up_a_low_balance_needs_no_notice(self) -> None:
        a = run(Standing.LOW_BALANCE, "1000.00", since=SINCE)
        assert (a.standing, a.changed, a.notice) == (Standing.ACTIVE, True, None)

    def test_notices_have_templates(self) -> None:
        for standing in Standing:
            for previous in Standing:
                notice = Assessment(standing, NOW, previous).notice
                assert notice is None or notice in TEMPLATES

    def test_who_may_order(self) -> None:
        assert {s for s in Standing if s.may_order} == {Standing.ACTIVE, Standing.LOW_BALANCE}
