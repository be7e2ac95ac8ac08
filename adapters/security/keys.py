"""The deployment's keys, each derived from its one master key (HOSTPROVIDER_SECRET_KEY).

HKDF-SHA256 (RFC 5869) with a label per use: a key learnt from one use (a quote's signature, a CSRF
token, the secret box) tells nothing of another's, and rotating the master key rotates them all.
A new use takes a new label; a label is never reused for another purpose."""

from __future__ import annotations

import attrs
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

QUOTES = "hostprovider quotes v1"
CSRF = "hostprovider csrf tokens v1"
SECRET_BOX = "hostprovider secret box v2"  # v1 was an HMAC of the master key (secret_box.py)


def derive_key(master_key: bytes, label: str, length: int = 32) -> bytes:
    if len(master_key) < 16:
        raise ValueError("the master key must be at least 16 bytes")
    hkdf = HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=label.encode("ascii"))
    return hkdf.derive(master_key)


@attrs.frozen
class DeploymentKeys:
    """The signing keys the composition root hands to the policy."""

    quotes: bytes = attrs.field(repr=False)
    csrf: bytes = attrs.field(repr=False)

    @classmethod
    def derive(cls, master_key: bytes) -> DeploymentKeys:
        """The secret box derives its own (secret_box.py): it also keeps the key of older seals."""
        return cls(derive_key(master_key, QUOTES), derive_key(master_key, CSRF))
