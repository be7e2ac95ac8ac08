"""SSH public keys for the tests, as a `.pub` file holds them."""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519


def public_line(private: Any = None, comment: str = "alice@laptop") -> str:
    """The OpenSSH line of `private`'s public key (of a new ed25519 key when none is given)."""
    key = private if private is not None else ed25519.Ed25519PrivateKey.generate()
    raw = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    return f"{raw.decode()} {comment}".strip()
