"""SecretBox on Fernet (AES-128-CBC with HMAC-SHA256, from `cryptography`).

The box key is derived from the deployment's master key with its own label (keys.py), so every API
and scheduler process that shares HOSTPROVIDER_SECRET_KEY opens what any of them sealed, without
one more secret to distribute.

Seals made before the keys were derived with HKDF (box key v1: an HMAC-SHA256 of the master key
under a label) still open: a deployment upgraded with jobs in its queue reads the passwords they
carry. Everything new is sealed under the v2 key."""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from adapters.security.keys import SECRET_BOX, derive_key

_V1_LABEL = b"hostprovider secret box v1"


def v1_box_key(master_key: bytes) -> bytes:
    """The box key of releases before HKDF: what their seals open with."""
    return hmac.new(master_key, _V1_LABEL, hashlib.sha256).digest()


class FernetSecretBox:
    def __init__(self, master_key: bytes) -> None:
        if len(master_key) < 16:
            raise ValueError("the secret box needs a master key of at least 16 bytes")
        keys = (derive_key(master_key, SECRET_BOX), v1_box_key(master_key))
        # MultiFernet seals with the first key and opens with any of them.
        self._fernet = MultiFernet([Fernet(base64.urlsafe_b64encode(key)) for key in keys])

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode("utf-8")).decode("ascii")

    def open(self, sealed: str) -> str | None:
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError, ValueError):
            return None
