"""Two-factor login with time-based one-time codes (TOTP, RFC 6238) and recovery codes.

An account's second factor is its TOTP secret, sealed at rest with the secret box, and until it is
enabled (the owner proved their app shows the right codes) it does nothing. Once enabled, a login
needs a current code as well as the password. A code is taken from the previous, the current or
the next 30-second step (clocks drift), and each step is accepted once: the last step used is kept
per account, and only a later one is accepted after it. Ten recovery codes, each usable once, stand
in for the app when it is lost; only their SHA-256 is kept, which is enough for 60 random bits
behind a password and a throttle.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import attrs

from domain.model.errors import AuthenticationFailed, RuleViolation, ValidationError

RECOVERY_CODES = 10
_TOTP = re.compile(r"[0-9]{6}")  # ASCII digits: \d would take any script's
# Recovery codes are shown as xxxx-xxxx-xxxx in lower-case base32 (no 0, 1, 8 or 9 to misread);
# what a person types is compared without dashes, spaces or case.
_RECOVERY = re.compile(r"[a-z2-7]{12}")


class TotpRequired(AuthenticationFailed):
    """The password was right; the account also needs a code from its authenticator app."""

    code = "totp_required"


class TotpRejected(AuthenticationFailed):
    """The code given with a login is wrong, used already, or from too far off in time."""

    code = "totp_invalid"


@attrs.frozen
class OneTimeCode:
    """A six-digit code from the app, or a recovery code, as the owner typed it."""

    text: str

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.text, str) or not 6 <= len(self.text) <= 40:
            raise ValidationError("code", "must be a six-digit code or a recovery code")

    @property
    def is_totp(self) -> bool:
        return bool(_TOTP.fullmatch(self.text.strip()))

    @property
    def digits(self) -> str:
        return self.text.strip()

    def recovery_digest(self, account_id: int) -> str | None:
        """The digest a stored recovery code would have, None when this cannot be one."""
        plain = re.sub(r"[\s-]", "", self.text).lower()
        if not _RECOVERY.fullmatch(plain):
            return None
        return recovery_digest(account_id, plain)


def recovery_digest(account_id: int, plain: str) -> str:
    # The account id salts it: one table of digests does not serve every account.
    return hashlib.sha256(f"recovery:{account_id}:{plain}".encode()).hexdigest()


def shown_recovery_code(plain: str) -> str:
    return "-".join(plain[i : i + 4] for i in range(0, len(plain), 4))


@attrs.frozen
class SecondFactor:
    """An account's TOTP secret (sealed), whether it is on, the last step a code was accepted
    for, and the digests of the recovery codes not used yet."""

    account_id: int
    sealed_secret: str = attrs.field(repr=False)
    enabled_at: dt.datetime | None = None
    last_step: int | None = None
    recovery_digests: tuple[str, ...] = attrs.field(default=(), repr=False)

    @property
    def enabled(self) -> bool:
        return self.enabled_at is not None


def wrong_code() -> RuleViolation:
    """A well-formed code that is not the current one, from a caller already logged in (422)."""
    return RuleViolation("code", "is not a current code of the authenticator app")
