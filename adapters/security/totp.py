"""RFC 6238 time-based one-time passwords through pyotp, with its defaults (SHA-1, six digits,
30-second steps): what Google Authenticator, Aegis, 1Password and the rest implement."""

from __future__ import annotations

import datetime as dt
import hmac

import pyotp


class PyotpTotp:
    def new_secret(self) -> str:
        return pyotp.random_base32(32)  # 32 base32 characters: 160 bits, RFC 4226's advice

    def provisioning_uri(self, secret: str, account_name: str, issuer: str) -> str:
        return pyotp.TOTP(secret).provisioning_uri(name=account_name, issuer_name=issuer)

    def step_of(self, secret: str, code: str, at: dt.datetime, drift: int) -> int | None:
        totp = pyotp.TOTP(secret)
        current = totp.timecode(at)
        found = None
        # Every candidate is compared, so the time taken does not tell which step matched.
        for offset in range(-drift, drift + 1):
            if hmac.compare_digest(totp.generate_otp(current + offset), code):
                found = current + offset
        return found
