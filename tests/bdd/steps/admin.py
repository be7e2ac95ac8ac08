"""An administrator's suspension of an account, and the billing tick that re-assesses standings."""

from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from domain.model.commands import Credentials
from domain.model.errors import AuthenticationFailed
from domain.usecases import accounts, admin
from domain.usecases.billing import BillingReport
from domain.usecases.dunning import bill_and_reassess

from .common import NAME, PASSWORD, Outcome, Shop, attempt


@given(parsers.re(rf"^an administrator has suspended {NAME}'s account$"))
@when(parsers.re(rf"^an administrator suspends {NAME}'s account$"), target_fixture="outcome")
def _suspend(shop: Shop, name: str) -> Outcome:
    return attempt(lambda: admin.suspend_account(shop.rt, shop.admin, shop.customer(name).id))


@when(parsers.re(rf"^an administrator reinstates {NAME}'s account$"), target_fixture="outcome")
def _reinstate(shop: Shop, name: str) -> Outcome:
    return attempt(lambda: admin.reinstate_account(shop.rt, shop.admin, shop.customer(name).id))


@when("the administrator suspends their own account", target_fixture="outcome")
def _suspend_self(shop: Shop) -> Outcome:
    return attempt(lambda: admin.suspend_account(shop.rt, shop.admin, shop.admin.account_id))


@then(parsers.re(rf"^{NAME} (?P<can>can|cannot) log in$"))
def _logs_in(shop: Shop, name: str, can: str) -> None:
    login = attempt(
        lambda: accounts.login(shop.rt, Credentials(shop.customer(name).email, PASSWORD))
    )
    assert login.accepted is (can == "can"), login.error
    if not login.accepted:
        assert isinstance(login.error, AuthenticationFailed)


@then("the administrator's account is still enabled")
def _admin_enabled(shop: Shop) -> None:
    with shop.rt.uow() as uow:
        account = uow.accounts.get(shop.admin.account_id)
    assert account is not None and not account.disabled


@when("the billing tick runs", target_fixture="billing_report")
def _billing_tick(shop: Shop) -> BillingReport:
    """What the scheduler's billing tick does: bill, then re-assess whom it overdrew."""
    return bill_and_reassess(shop.rt)
