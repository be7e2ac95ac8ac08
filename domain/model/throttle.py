"""How hard logins and sign-ups may be tried, as plain numbers and keys.

Failed logins are counted three ways, in windows of `window`:
- per client address, whatever the accounts: one address guessing widely is slowed;
- per (account, address): one address guessing one account is stopped after `per_pair`, and the
  account's owner, elsewhere, is not (the victim's correct password is never refused because of
  someone else's failures);
- per account, from everywhere: past `attack` failures the account is under a sustained,
  distributed attack. Addresses that logged in to it before carry on as usual; any other address
  gets the slow path, one attempt per `slow_interval` for the whole account, an interval that
  doubles as the failures grow, up to `slow_cap`. Never a lock: the windows close by themselves.
"""

from __future__ import annotations

import datetime as dt

import attrs


@attrs.frozen
class LoginLimits:
    window: dt.timedelta = dt.timedelta(minutes=15)
    per_address: int = 50
    per_pair: int = 10
    attack: int = 100
    slow_doubling: int = 10  # failures past `attack` per doubling of the slow interval
    slow_cap: dt.timedelta = dt.timedelta(minutes=1)
    known_for: dt.timedelta = dt.timedelta(days=30)  # an address that logged in is known this long

    def slow_interval(self, failures: int) -> dt.timedelta:
        """Under attack: the account takes one attempt from an unknown address per interval."""
        doublings = max(0, failures - self.attack) // self.slow_doubling
        seconds = 2 ** min(doublings, 20)
        return min(dt.timedelta(seconds=seconds), self.slow_cap)


def address_key(client: str) -> str:
    return f"login:addr:{client}"


def pair_key(account: str, client: str) -> str:
    return f"login:pair:{account}|{client}"


def account_key(account: str) -> str:
    return f"login:account:{account}"


def known_key(account: str, client: str) -> str:
    return f"login:known:{account}|{client}"


def slow_key(account: str) -> str:
    return f"login:slow:{account}"


def registration_key(client: str) -> str:
    return f"register:addr:{client}"


def reset_address_key(client: str) -> str:
    return f"reset:addr:{client}"


def reset_account_key(account: str) -> str:
    return f"reset:account:{account}"


def console_address_key(client: str) -> str:
    return f"console:addr:{client}"
