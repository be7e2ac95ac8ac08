"""Secrets from the operating system's CSPRNG."""

from __future__ import annotations

import secrets
import string

# Letters and digits, plus symbols that need no quoting in a POSIX shell or a URL.
PASSWORD_SYMBOLS = "-_.+=@%"
PASSWORD_ALPHABET = string.ascii_letters + string.digits + PASSWORD_SYMBOLS
PASSWORD_LENGTH = 20
TOKEN_BYTES = 32  # 256 bits


class SystemSecretGenerator:
    def token(self) -> str:
        return secrets.token_urlsafe(TOKEN_BYTES)

    def password(self) -> str:
        # Rejection sampling keeps the distribution uniform while requiring every character class,
        # which some images' password policies insist on.
        while True:
            candidate = "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))
            if (
                any(c in string.ascii_lowercase for c in candidate)
                and any(c in string.ascii_uppercase for c in candidate)
                and any(c in string.digits for c in candidate)
                and any(c in PASSWORD_SYMBOLS for c in candidate)
            ):
                return candidate
