"""Two-factor login: set up, enable, disable, and the check a login passes through.

Wrong codes are throttled like passwords: at login a wrong code counts as a failed login
(domain/usecases/throttle.py), and on every path the account's wrong codes are counted on their
own, so that someone who knows the password cannot try codes from many addresses: past
CODE_FAILURES in CODE_WINDOW the account takes no code (429) until the window closes. A code is
checked against the stored secret first and claimed second, in one conditional write, so a code
that two requests race with is accepted for one of them only.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib

import attrs

from domain.model.errors import InvalidTransition, Throttled
from domain.model.two_factor import (
    RECOVERY_CODES,
    OneTimeCode,
    SecondFactor,
    TotpRejected,
    TotpRequired,
    recovery_digest,
    shown_recovery_code,
    wrong_code,
)
from domain.usecases import throttle
from domain.usecases.actors import Actor, account_of
from domain.usecases.paper_trail import audit, notify
from domain.usecases.runtime import Runtime
from ports.unit_of_work import UnitOfWork

ISSUER = "Oxnack"
DRIFT = 1  # steps either side of the current one: a clock 30 seconds off still works
CODE_FAILURES = 10
CODE_WINDOW = dt.timedelta(minutes=15)


@attrs.frozen
class SetUpTwoFactor:
    """Make a new secret for the caller's authenticator app; it does nothing until enabled."""


@attrs.frozen
class EnableTwoFactor:
    code: OneTimeCode  # the app's current code for the new secret


@attrs.frozen
class DisableTwoFactor:
    code: OneTimeCode  # a current code, or an unused recovery code


@attrs.frozen
class RenewRecoveryCodes:
    code: OneTimeCode  # a current code of the app (a recovery code cannot renew the codes)


@attrs.frozen
class RemoveSecondFactor:
    """The operator's way back in for someone who lost both the app and the recovery codes."""

    account_id: int


@attrs.frozen
class TwoFactorSetup:
    secret: str = attrs.field(repr=False)
    uri: str = attrs.field(repr=False)


@attrs.frozen
class TwoFactorStatus:
    enabled: bool
    pending: bool  # set up, not yet enabled
    enabled_at: dt.datetime | None
    recovery_codes_left: int


def status(rt: Runtime, actor: Actor) -> TwoFactorStatus:
    with rt.uow() as uow:
        factor = uow.second_factors.get(actor.account_id)
    if factor is None:
        return TwoFactorStatus(False, False, None, 0)
    left = len(factor.recovery_digests)
    return TwoFactorStatus(factor.enabled, not factor.enabled, factor.enabled_at, left)


def set_up(rt: Runtime, actor: Actor, command: SetUpTwoFactor) -> TwoFactorSetup:
    """A fresh secret (a setup not yet enabled is replaced); refused while two-factor is on."""
    secret = rt.totp.new_secret()
    now = rt.clock.now()
    with rt.uow() as uow:
        account = account_of(uow, actor.account_id, for_update=True)
        found = uow.second_factors.get(account.id)
        if found is not None and found.enabled:
            raise InvalidTransition("two-factor login", "on", "set up again; disable it first")
        uow.second_factors.save(SecondFactor(account.id, rt.secret_box.seal(secret)))
        audit(uow, actor, "two_factor.setup", f"account:{account.id}", now)
        uow.commit()
    return TwoFactorSetup(secret, rt.totp.provisioning_uri(secret, account.email, ISSUER))


def enable(rt: Runtime, actor: Actor, command: EnableTwoFactor) -> list[str]:
    """Turn two-factor on with the app's current code; the recovery codes, shown this once."""
    account_id = actor.account_id
    _admit(rt, account_id)
    with rt.uow() as uow:
        pending = uow.second_factors.get(account_id)
    if pending is None or pending.enabled:
        state = "off" if pending is None else "on"
        raise InvalidTransition(
            "two-factor login", state, "enable (POST /api/auth/2fa/setup first)"
        )
    step = _step_of(rt, pending, command.code)
    if step is None:
        _failed(rt, account_id)
        raise wrong_code()
    plain = [_recovery_code(rt) for _ in range(RECOVERY_CODES)]
    now = rt.clock.now()
    with rt.uow() as uow:
        account = account_of(uow, account_id, for_update=True)  # one enable at a time
        current = uow.second_factors.get(account_id)
        if current is None or current.enabled or current.sealed_secret != pending.sealed_secret:
            raise InvalidTransition("two-factor login", "being set up again", "enable")
        enabled = attrs.evolve(
            current, enabled_at=now, last_step=step, recovery_digests=_digests(account_id, plain)
        )
        uow.second_factors.save(enabled)
        audit(uow, actor, "two_factor.enable", f"account:{account_id}", now)
        notify(uow, account, "two_factor_enabled", now, email=account.email)
        uow.commit()
    return [shown_recovery_code(code) for code in plain]


def renew_recovery_codes(rt: Runtime, actor: Actor, command: RenewRecoveryCodes) -> list[str]:
    """Ten new recovery codes, shown this once; the old ones stop working."""
    account_id = actor.account_id
    # A recovery code cannot renew the codes: the app must still be in hand.
    _spend(rt, account_id, command.code, "renew recovery codes", app_only=True)
    plain = [_recovery_code(rt) for _ in range(RECOVERY_CODES)]
    now = rt.clock.now()
    with rt.uow() as uow:
        account_of(uow, account_id, for_update=True)
        current = uow.second_factors.get(account_id)
        if current is None or not current.enabled:
            raise InvalidTransition("two-factor login", "off", "renew recovery codes")
        uow.second_factors.save(attrs.evolve(current, recovery_digests=_digests(account_id, plain)))
        audit(uow, actor, "two_factor.recovery_codes_renewed", f"account:{account_id}", now)
        uow.commit()
    return [shown_recovery_code(code) for code in plain]


def disable(rt: Runtime, actor: Actor, command: DisableTwoFactor) -> None:
    account_id = actor.account_id
    _spend(rt, account_id, command.code, "disable")
    now = rt.clock.now()
    with rt.uow() as uow:
        account = account_of(uow, account_id)
        uow.second_factors.remove(account_id)
        audit(uow, actor, "two_factor.disable", f"account:{account_id}", now)
        how = "turned off with a code from the app or a recovery code"
        notify(uow, account, "two_factor_disabled", now, email=account.email, how=how)
        uow.commit()


def remove(rt: Runtime, actor: Actor, command: RemoveSecondFactor) -> bool:
    """Turn the account's two-factor login off (an administrator's act); whether it was on."""
    actor.require_admin()
    with rt.uow() as uow:
        account = account_of(uow, command.account_id, for_update=True)
        factor = uow.second_factors.get(account.id)
        uow.second_factors.remove(account.id)
        now = rt.clock.now()
        audit(uow, actor, "two_factor.removed", f"account:{account.id}", now)
        was_on = factor is not None and factor.enabled
        if was_on:
            how = "turned off by our support at your request"
            notify(uow, account, "two_factor_disabled", now, email=account.email, how=how)
        uow.commit()
    return was_on


def pass_login(
    rt: Runtime,
    account_id: int,
    given: OneTimeCode | None,
    *,
    email_key: str,
    client: str | None,
) -> None:
    """Nothing for an account without two-factor; else the code (or a recovery code) must be
    right, once. Called after the password was verified, before the login counts as a success."""
    with rt.uow() as uow:
        factor = uow.second_factors.get(account_id)
    if factor is None or not factor.enabled:
        return
    if given is None:
        raise TotpRequired(
            "this account has two-factor login: send the authenticator app's code as `totp`"
        )
    _admit(rt, account_id)
    if _use(rt, factor, given):
        return
    _failed(rt, account_id)
    if client is not None:
        throttle.login_failed(rt, email_key, client)
    raise TotpRejected("the code is wrong, was used already, or is out of time")


def _spend(
    rt: Runtime, account_id: int, code: OneTimeCode, attempted: str, *, app_only: bool = False
) -> None:
    """For a logged-in owner's change: two-factor must be on and the code right (and spent)."""
    _admit(rt, account_id)
    with rt.uow() as uow:
        factor = uow.second_factors.get(account_id)
    if factor is None or not factor.enabled:
        raise InvalidTransition("two-factor login", "off", attempted)
    if app_only and not code.is_totp or not _use(rt, factor, code):
        _failed(rt, account_id)
        raise wrong_code()


def _use(rt: Runtime, factor: SecondFactor, code: OneTimeCode) -> bool:
    """Check and spend a code: a TOTP step is claimed, a recovery code removed."""
    if code.is_totp:
        step = _step_of(rt, factor, code)
        if step is None:
            return False
        with rt.uow() as uow:
            claimed = uow.second_factors.claim_step(factor.account_id, step)
            uow.commit()
        return claimed
    digest = code.recovery_digest(factor.account_id)
    if digest is None:
        return False
    with rt.uow() as uow:
        spent = uow.second_factors.spend_recovery_code(factor.account_id, digest)
        if spent:
            _recovery_code_used(uow, factor.account_id, rt.clock.now())
        uow.commit()
    return spent


def _recovery_code_used(uow: UnitOfWork, account_id: int, now: dt.datetime) -> None:
    account = account_of(uow, account_id)
    stored = uow.second_factors.get(account_id)
    left = len(stored.recovery_digests) if stored is not None else 0
    audit(uow, None, "two_factor.recovery_code_used", f"account:{account_id}", now, left=left)
    notify(uow, account, "recovery_code_used", now, email=account.email, left=left)


def _step_of(rt: Runtime, factor: SecondFactor, code: OneTimeCode) -> int | None:
    if not code.is_totp:
        return None
    secret = rt.secret_box.open(factor.sealed_secret)
    if secret is None:  # sealed under a key this process does not have: no code can pass
        return None
    return rt.totp.step_of(secret, code.digits, rt.clock.now(), DRIFT)


def _digests(account_id: int, plain: list[str]) -> tuple[str, ...]:
    return tuple(recovery_digest(account_id, code) for code in plain)


def _recovery_code(rt: Runtime) -> str:
    # Twelve base32 characters (60 bits) drawn from a 256-bit secret of the generator.
    digest = hashlib.sha256(rt.secrets.token().encode()).digest()
    return base64.b32encode(digest).decode().lower()[:12]


def _key(account_id: int) -> str:
    return f"totp:account:{account_id}"


def _admit(rt: Runtime, account_id: int) -> None:
    now = rt.clock.now()
    window = rt.counters.peek(_key(account_id), now)
    if window.hits >= CODE_FAILURES:
        raise Throttled(
            "too many wrong codes for this account; wait and retry",
            retry_after=window.seconds_left(now),
        )


def _failed(rt: Runtime, account_id: int) -> None:
    rt.counters.hit(_key(account_id), CODE_WINDOW, rt.clock.now())
