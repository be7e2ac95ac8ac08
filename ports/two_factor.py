"""Second factors: the TOTP algorithm, and where an account's second factor is kept."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from domain.model.two_factor import SecondFactor


class TotpAlgorithm(Protocol):
    """RFC 6238 with its defaults (SHA-1, six digits, 30-second steps), as every authenticator
    app implements it.

    Promises: `step_of` is the step `code` belongs to among `at`'s step and the `drift` steps on
    either side, None for any other code (compared in constant time); nothing here reads a clock."""

    def new_secret(self) -> str:
        """A fresh base32 secret of 160 random bits."""
        ...

    def provisioning_uri(self, secret: str, account_name: str, issuer: str) -> str:
        """The `otpauth://totp/...` URI an authenticator app scans."""
        ...

    def step_of(self, secret: str, code: str, at: dt.datetime, drift: int) -> int | None: ...


class SecondFactorRepository(Protocol):
    """Promises: `claim_step` and `spend_recovery_code` are atomic, so of two requests racing with
    the same code (from any processes) exactly one gets True."""

    def get(self, account_id: int) -> SecondFactor | None: ...

    def save(self, factor: SecondFactor) -> None:
        """Insert or replace the account's second factor."""
        ...

    def remove(self, account_id: int) -> None: ...

    def claim_step(self, account_id: int, step: int) -> bool:
        """Record `step` as the last one used, if it is later than the one recorded."""
        ...

    def spend_recovery_code(self, account_id: int, digest: str) -> bool:
        """Remove the unused recovery code with this digest; False if there is none."""
        ...
