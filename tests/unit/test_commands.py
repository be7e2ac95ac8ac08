"""Commands are whole once they exist: each field a checked value, and the rules a command states
about itself (a range, a time zone) checked when it is made."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from domain.model import commands
from domain.model.credentials import EmailAddress, NewPassword
from domain.model.errors import RuleViolation, ValidationError
from domain.model.promo import DiscountDuration, PromoKind
from domain.model.values import Amount, Cores, Hostname, PromoCodeText, Reason


def test_a_field_takes_a_plain_value_or_the_value_itself() -> None:
    assert commands.OrderRequest(1, cores=2) == commands.OrderRequest(1, cores=Cores(2))
    assert commands.NewAccount("ann@example.com", "correct horse").email == EmailAddress(
        "ann@example.com"
    )
    assert commands.Refund("k", Reason("goodwill"), Amount("1.00")).amount == Amount("1.00")


def test_an_orders_empty_code_and_name_are_none() -> None:
    order = commands.OrderRequest(1, tariff_id=1, promo_code="", name="")
    assert (order.promo_code, order.name) == (None, None)
    named = commands.OrderRequest(1, tariff_id=1, promo_code=" spring ", name="web-1")
    assert (named.promo_code, named.name) == (PromoCodeText("SPRING"), Hostname("web-1"))


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: commands.NewToken("ci", expires_in_days=0), "expiresInDays"),
        (lambda: commands.NewToken("ci", expires_in_days=3651), "expiresInDays"),
        (lambda: commands.MetricsQuery(1, step=0), "step"),
        (lambda: commands.PromoDraft("SPRING", "percent", percent=-1), "percent"),
        (lambda: commands.PromoDraft("SPRING", "weekly"), "kind"),
        (lambda: commands.PromoDraft("SPRING", "percent", duration="weekly"), "duration"),
        (lambda: commands.PromoDraft("ab", "percent"), "code"),
        (
            lambda: commands.PromoDraft("SPRING", "percent", valid_from=dt.datetime(2026, 3, 1)),
            "validFrom",
        ),
        (lambda: commands.BalanceAdjustment(1, "0", "goodwill", request_key="k"), "amount"),
        (lambda: commands.BalanceAdjustment(1, "1.00", "ab", request_key="k"), "reason"),
    ],
)
def test_a_command_refuses_what_it_can_never_be(make: Any, field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        make()
    assert refused.value.field == field


def test_a_new_password_next_to_the_current_one_is_named_new_password() -> None:
    with pytest.raises(RuleViolation) as refused:
        commands.PasswordChange("old password", "aaaaaaaaaaaa")
    assert refused.value.field == "newPassword"
    change = commands.PasswordChange("old password", NewPassword("correct horse"))
    assert "old password" not in repr(change) and "correct horse" not in repr(change)


def test_a_promo_draft_holds_its_kinds_and_lists() -> None:
    draft = commands.PromoDraft(
        " spring ", "percent", percent=10, duration="days", duration_days=7, tariff_ids=(1, 2)
    )
    assert draft.code == PromoCodeText("SPRING")
    assert (draft.kind, draft.duration) == (PromoKind.PERCENT, DiscountDuration.DAYS)
    assert draft.tariff_ids == (1, 2)
