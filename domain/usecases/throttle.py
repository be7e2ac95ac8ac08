"""The login and registration throttles on the shared attempt counters (ports/throttle.py).

Failures are counted after the password was checked, so a correct password is never refused for
failures of others; the limits are looked at before it is checked, so a throttled attempt costs no
hash. Two attempts racing past the same look may both be counted: the limits are approximate by
the few hashes a process runs at once, never by more.
"""

from __future__ import annotations

import datetime as dt

from domain.model import throttle as keys
from domain.model.errors import Throttled
from domain.usecases.runtime import Runtime

REGISTRATION_WINDOW = dt.timedelta(hours=1)


def admit_login(rt: Runtime, account: str | None, client: str) -> None:
    """Raise Throttled when this attempt must wait. `account` is the e-mail's key, None when the
    e-mail is not even an address (then only the address is limited)."""
    limits, now, counters = rt.policy.login_limits, rt.clock.now(), rt.counters
    looks = [(keys.address_key(client), limits.per_address)]
    if account is not None:
        looks.append((keys.pair_key(account, client), limits.per_pair))
    for key, limit in looks:
        window = counters.peek(key, now)
        if window.hits >= limit:
            raise Throttled(
                "too many failed logins; wait and retry", retry_after=window.seconds_left(now)
            )
    if account is None:
        return
    failures = counters.peek(keys.account_key(account), now).hits
    if failures < limits.attack or counters.peek(keys.known_key(account, client), now).hits:
        return
    gate = counters.hit(keys.slow_key(account), limits.slow_interval(failures), now)
    if gate.hits > 1:
        raise Throttled(
            "this account is under attack: from a new address it takes one login at a time",
            retry_after=gate.seconds_left(now),
        )


def login_failed(rt: Runtime, account: str | None, client: str) -> None:
    limits, now, counters = rt.policy.login_limits, rt.clock.now(), rt.counters
    counters.hit(keys.address_key(client), limits.window, now)
    if account is not None:
        counters.hit(keys.pair_key(account, client), limits.window, now)
        counters.hit(keys.account_key(account), limits.window, now)


def login_succeeded(rt: Runtime, account: str, client: str) -> None:
    """The pair's failures are forgiven, and the address is known to the account from now on."""
    limits, now, counters = rt.policy.login_limits, rt.clock.now(), rt.counters
    counters.forget(keys.pair_key(account, client))
    counters.hit(keys.known_key(account, client), limits.known_for, now)


def admit_registration(rt: Runtime, client: str) -> None:
    """Every sign-up attempt from an address counts, made or not: each costs a password hash."""
    admit(
        rt,
        keys.registration_key(client),
        REGISTRATION_WINDOW,
        rt.policy.registrations_per_hour,
        "too many sign-ups from this address; wait and retry",
    )


def admit(rt: Runtime, key: str, window: dt.timedelta, limit: int, refusal: str) -> None:
    """Count one attempt under `key`; past `limit` in the window, Throttled with when to retry."""
    now = rt.clock.now()
    counted = rt.counters.hit(key, window, now)
    if counted.hits > limit:
        raise Throttled(refusal, retry_after=counted.seconds_left(now))
