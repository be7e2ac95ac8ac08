"""SecretBox on Fernet (AES-128-CBC with HMAC-SHA256, from `cryptography`).

The box key is derived from the deployment's signing key with its own label, so every API and
scheduler process that shares HOSTPROVIDER_QUOTE_KEY opens what any of them sealed, without one
more secret to distribute; the label keeps the two uses of that key apart."""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken

_LABEL = b"hostprovider secret box v1"


class FernetSecretBox:
    def __init__(self, master_key: bytes) -> None:
        if len(master_key) < 16:
            raise ValueError("the secret box needs a master key of at least 16 bytes")
        derived = hmac.new(master_key, _LABEL, hashlib.sha256).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode("utf-8")).decode("ascii")

    def open(self, sealed: str) -> str | None:
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError, ValueError):
            return None
