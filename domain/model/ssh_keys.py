"""A customer's SSH public keys: read as OpenSSH writes them, checked, and fingerprinted.

A key is one line of an `authorized_keys` file, `<type> <base64 blob> [comment]`. The blob is
read as the SSH wire format (RFC 4253 section 6.6: length-prefixed strings), so a key is refused
when its blob does not say the type it is named, when it is truncated, or when it is weak (RSA
under 2048 bits, DSA at all). The fingerprint is OpenSSH's: `SHA256:` and the unpadded base64 of
the blob's SHA-256.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import re
import struct

import attrs

from domain.model.errors import RuleViolation, ValidationError

MAX_KEYS_PER_CUSTOMER = 50
MAX_NAME = 100
MAX_KEY_TEXT = 16_384  # an RSA key of 16384 bits is about 2.8 KB; certificates are not taken
MIN_RSA_BITS = 2048

# The key types OpenSSH 9 accepts by default, with the size of their public point where fixed.
ED25519 = "ssh-ed25519"
RSA = "ssh-rsa"
ECDSA = {
    "ecdsa-sha2-nistp256": "nistp256",
    "ecdsa-sha2-nistp384": "nistp384",
    "ecdsa-sha2-nistp521": "nistp521",
}
SECURITY_KEYS = {"sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com"}
TYPES = frozenset({ED25519, RSA, *ECDSA, *SECURITY_KEYS})

_BASE64 = re.compile(r"^[A-Za-z0-9+/]+={0,2}$")


@attrs.frozen
class PublicKey:
    """A checked key: its type, blob and comment, and what it is known by."""

    kind: str
    blob: bytes = attrs.field(repr=False)
    comment: str

    @property
    def fingerprint(self) -> str:
        digest = base64.b64encode(hashlib.sha256(self.blob).digest()).decode()
        return "SHA256:" + digest.rstrip("=")

    @property
    def line(self) -> str:
        """As it goes into authorized_keys (and to Proxmox): one line, no line break."""
        text = f"{self.kind} {base64.b64encode(self.blob).decode()}"
        return f"{text} {self.comment}" if self.comment else text


def parse_public_key(text: str) -> PublicKey:
    """The key in `text`, or RuleViolation (field `publicKey`) saying what is wrong with it."""
    if len(text) > MAX_KEY_TEXT:
        raise ValidationError("publicKey", f"is longer than {MAX_KEY_TEXT} characters")
    stripped = text.strip()
    if "\n" in stripped or "\r" in stripped:
        raise RuleViolation("publicKey", "must be one key on one line")
    parts = stripped.split(None, 2)
    if len(parts) < 2:
        raise RuleViolation(
            "publicKey", "must be '<type> <base64 key> [comment]', as in a .pub file"
        )
    kind, encoded = parts[0], parts[1]
    comment = parts[2].strip() if len(parts) == 3 else ""
    if kind not in TYPES:
        if kind == "ssh-dss":
            raise RuleViolation("publicKey", "DSA keys are too weak; use ssh-ed25519")
        raise RuleViolation(
            "publicKey", f"has an unknown type {kind[:40]!r}; use one of {', '.join(sorted(TYPES))}"
        )
    if not _BASE64.match(encoded):
        raise RuleViolation("publicKey", "is not base64 after its type")
    try:
        blob = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise RuleViolation("publicKey", "is not base64 after its type") from None
    _check_blob(kind, blob)
    return PublicKey(kind, blob, comment)


def _check_blob(kind: str, blob: bytes) -> None:
    fields = _strings(blob)
    if fields is None:
        raise RuleViolation("publicKey", "is cut short: its data ends inside a field")
    if not fields or fields[0] != kind.encode():
        raise RuleViolation("publicKey", f"is not an {kind} key (its data says otherwise)")
    if kind == ED25519:
        if len(fields) != 2 or len(fields[1]) != 32:
            raise RuleViolation("publicKey", "is not a whole ed25519 key")
    elif kind == RSA:
        if len(fields) != 3:
            raise RuleViolation("publicKey", "is not a whole RSA key")
        modulus = int.from_bytes(fields[2], "big")
        if modulus.bit_length() < MIN_RSA_BITS:
            raise RuleViolation(
                "publicKey",
                f"is an RSA key of {modulus.bit_length()} bits; at least {MIN_RSA_BITS} are needed",
            )
    elif kind in ECDSA:
        if len(fields) != 3 or fields[1] != ECDSA[kind].encode():
            raise RuleViolation("publicKey", f"is not a whole {kind} key")
    elif len(fields) < 2:  # a security key: its point (and the application) follow
        raise RuleViolation("publicKey", f"is not a whole {kind} key")


def _strings(blob: bytes) -> list[bytes] | None:
    """The wire format's length-prefixed strings, or None when the blob is cut short."""
    found, at = [], 0
    while at < len(blob):
        if at + 4 > len(blob):
            return None
        (length,) = struct.unpack(">I", blob[at : at + 4])
        at += 4
        if at + length > len(blob):
            return None
        found.append(blob[at : at + length])
        at += length
    return found


@attrs.frozen
class SshKey:
    id: int
    owner_id: int
    name: str
    public_key: str  # the checked line, as PublicKey.line gives it
    fingerprint: str
    created_at: dt.datetime
