"""Two-factor login: the customer's authenticator app is pyotp under freezegun, computing its
codes from the wall clock frozen at the moment the scenario names."""

from __future__ import annotations

import datetime as dt

import attrs
import pyotp
import pytest
from freezegun import freeze_time
from pytest_bdd import given, parsers, then, when

from domain.model.commands import Credentials
from domain.model.two_factor import OneTimeCode
from domain.usecases import accounts, two_factor

from .common import NAME, PASSWORD, Outcome, Shop, attempt, code_of, sign_up

CLIENT = "192.0.2.10"


@attrs.define
class Phone:
    """What the customer holds: the app's secret, and the recovery codes they wrote down."""

    secret: str = ""
    recovery: list[str] = attrs.field(factory=list)
    retired: list[str] = attrs.field(factory=list)  # recovery codes renewed away
    last_code: str = ""

    def code(self, moment: dt.datetime) -> str:
        with freeze_time(moment):
            return pyotp.TOTP(self.secret).now()


@pytest.fixture
def phone() -> Phone:
    return Phone()


def _login(shop: Shop, name: str, code: str | None, client: str = CLIENT) -> Outcome:
    totp = OneTimeCode(code) if code is not None else None
    email = shop.customer(name).email
    return attempt(
        lambda: accounts.login(shop.rt, Credentials(email, PASSWORD), client=client, totp=totp)
    )


def _set_up(shop: Shop, phone: Phone, name: str) -> None:
    made = two_factor.set_up(shop.rt, shop.customer(name).actor, two_factor.SetUpTwoFactor())
    phone.secret = made.secret


def _confirm(shop: Shop, phone: Phone, name: str) -> None:
    command = two_factor.EnableTwoFactor(OneTimeCode(phone.code(shop.clock.now())))
    phone.recovery = two_factor.enable(shop.rt, shop.customer(name).actor, command)
    shop.clock.advance(30)  # the code that enabled it is spent; the next step's is not


@when(parsers.re(rf"^{NAME} sets up two-factor login and confirms it with her app's current code$"))
def _set_up_and_confirm(shop: Shop, phone: Phone, name: str) -> None:
    _set_up(shop, phone, name)
    _confirm(shop, phone, name)


@when(parsers.re(rf"^{NAME} sets up two-factor login but does not confirm it$"))
def _set_up_only(shop: Shop, phone: Phone, name: str) -> None:
    _set_up(shop, phone, name)


@given(parsers.re(rf"^{NAME} has two-factor login$"))
def _has_two_factor(shop: Shop, phone: Phone, name: str) -> None:
    sign_up(shop, name)
    _set_up(shop, phone, name)
    _confirm(shop, phone, name)


@then(parsers.re(rf"^{NAME} is given (?P<count>\d+) recovery codes$"))
def _given_codes(phone: Phone, name: str, count: str) -> None:
    assert len(set(phone.recovery)) == int(count)


@then(parsers.re(rf"^{NAME}'s login with her password alone is refused as (?P<words>[a-z ]+)$"))
def _password_alone_refused(shop: Shop, name: str, words: str) -> None:
    outcome = _login(shop, name, None)
    assert outcome.error is not None and outcome.error.code == code_of(words), outcome


@then(parsers.re(rf"^{NAME} can log in with her password alone$"))
def _password_alone(shop: Shop, name: str) -> None:
    _login(shop, name, None).result()


@then(parsers.re(rf"^{NAME} can log in with her password and her app's current code$"))
def _with_code(shop: Shop, phone: Phone, name: str) -> None:
    _login(shop, name, phone.code(shop.clock.now())).result()


@then(
    parsers.re(
        rf"^15 minutes later {NAME} can log in"
        r" with her password and her app's current code$"
    )
)
def _later_with_code(shop: Shop, phone: Phone, name: str) -> None:
    shop.clock.advance(15 * 60)
    _login(shop, name, phone.code(shop.clock.now())).result()


@when(parsers.re(rf"^{NAME} logs in with her app's current code$"), target_fixture="outcome")
def _logs_in_with_code(shop: Shop, phone: Phone, name: str) -> Outcome:
    phone.last_code = phone.code(shop.clock.now())
    return _login(shop, name, phone.last_code)


@when(
    parsers.re(
        rf"^{NAME} logs in with the code her app showed (?P<offset>-?\d+) seconds from now$"
    ),
    target_fixture="outcome",
)
def _logs_in_offset(shop: Shop, phone: Phone, name: str, offset: str) -> Outcome:
    shop.clock.advance(600 - shop.clock.now().timestamp() % 30)  # on a step boundary
    moment = shop.clock.now() + dt.timedelta(seconds=int(offset))
    return _login(shop, name, phone.code(moment))


@when(parsers.re(rf"^{NAME} logs in with her first recovery code$"), target_fixture="outcome")
def _logs_in_recovery(shop: Shop, phone: Phone, name: str) -> Outcome:
    phone.last_code = phone.recovery[0]
    return _login(shop, name, phone.last_code)


@then("the login is accepted")
def _accepted(outcome: Outcome) -> None:
    outcome.result()


@then(parsers.re(r"^the login is refused as (?P<words>[a-z ]+)$"))
def _login_refused(outcome: Outcome, words: str) -> None:
    assert outcome.error is not None and outcome.error.code == code_of(words), outcome


@then(parsers.re(r"^a second login with the same code is refused as (?P<words>[a-z ]+)$"))
def _second_refused(shop: Shop, phone: Phone, words: str) -> None:
    name = next(iter(shop.customers))
    outcome = _login(shop, name, phone.last_code)
    assert outcome.error is not None and outcome.error.code == code_of(words), outcome


@then(parsers.re(rf"^{NAME} has (?P<count>\d+) recovery codes left$"))
def _codes_left(shop: Shop, name: str, count: str) -> None:
    with shop.rt.uow() as uow:
        factor = uow.second_factors.get(shop.customer(name).id)
    assert factor is not None and len(factor.recovery_digests) == int(count)


@when(
    parsers.re(rf'^{NAME} turns two-factor login off with the code "(?P<code>[^"]+)"$'),
    target_fixture="outcome",
)
def _off_with(shop: Shop, name: str, code: str) -> Outcome:
    command = two_factor.DisableTwoFactor(OneTimeCode(code))
    return attempt(lambda: two_factor.disable(shop.rt, shop.customer(name).actor, command))


@when(parsers.re(rf"^{NAME} turns two-factor login off with her app's current code$"))
def _off(shop: Shop, phone: Phone, name: str) -> None:
    command = two_factor.DisableTwoFactor(OneTimeCode(phone.code(shop.clock.now())))
    two_factor.disable(shop.rt, shop.customer(name).actor, command)


@when(parsers.re(rf"^someone who knows {NAME}'s password tries (?P<count>\d+) wrong codes$"))
def _wrong_codes(shop: Shop, phone: Phone, name: str, count: str) -> None:
    right = phone.code(shop.clock.now())
    wrong = "000000" if right != "000000" else "111111"
    for n in range(int(count)):
        outcome = _login(shop, name, wrong, client=f"198.51.100.{n}")
        assert outcome.error is not None and outcome.error.code == "totp_invalid"


@then(parsers.re(rf"^{NAME}'s login with her app's current code is refused as (?P<words>[a-z ]+)$"))
def _code_refused(shop: Shop, phone: Phone, name: str, words: str) -> None:
    outcome = _login(shop, name, phone.code(shop.clock.now()))
    assert outcome.error is not None and outcome.error.code == code_of(words), outcome


@then("the stored secret is sealed and opens to the one her app holds")
def _sealed(shop: Shop, phone: Phone) -> None:
    customer = next(iter(shop.customers.values()))
    with shop.rt.uow() as uow:
        factor = uow.second_factors.get(customer.id)
    assert factor is not None and phone.secret not in factor.sealed_secret
    assert shop.rt.secret_box.open(factor.sealed_secret) == phone.secret


@when(parsers.re(rf"^{NAME} asks for new recovery codes with her app's current code$"))
def _renew(shop: Shop, phone: Phone, name: str) -> None:
    command = two_factor.RenewRecoveryCodes(OneTimeCode(phone.code(shop.clock.now())))
    phone.retired, phone.recovery = (
        phone.recovery,
        two_factor.renew_recovery_codes(shop.rt, shop.customer(name).actor, command),
    )


@then(parsers.re(rf"^{NAME}'s old first recovery code is refused as (?P<words>[a-z ]+)$"))
def _old_refused(shop: Shop, phone: Phone, name: str, words: str) -> None:
    outcome = _login(shop, name, phone.retired[0])
    assert outcome.error is not None and outcome.error.code == code_of(words), outcome


@then(parsers.re(rf"^{NAME} can log in with her new first recovery code$"))
def _new_works(shop: Shop, phone: Phone, name: str) -> None:
    _login(shop, name, phone.recovery[0]).result()
