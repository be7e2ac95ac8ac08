"""The master key's uses each get a key of their own (HKDF with a label), and what a deployment
sealed before the keys were derived so still opens after the upgrade."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from cryptography.fernet import Fernet, InvalidToken

from adapters.security import FernetSecretBox
from adapters.security.keys import CSRF, QUOTES, SECRET_BOX, DeploymentKeys, derive_key

MASTER = b"a shared secret of 16+ characters"


def test_derivation_is_rfc_5869_hkdf_sha256() -> None:
    # RFC 5869, test case 3: SHA-256, no salt, no info.
    okm = derive_key(bytes([0x0B] * 22), "", length=42)
    assert okm.hex() == (
        "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"
    )


def test_each_use_has_its_own_key_and_none_is_the_master() -> None:
    keys = DeploymentKeys.derive(MASTER)
    derived = {keys.quotes, keys.csrf, derive_key(MASTER, SECRET_BOX)}
    assert len(derived) == 3 and MASTER not in derived
    assert {len(key) for key in derived} == {32}
    assert keys == DeploymentKeys.derive(MASTER)  # every process derives the same
    assert DeploymentKeys.derive(b"another master key!!").quotes != keys.quotes
    assert len({QUOTES, CSRF, SECRET_BOX}) == 3


def _sealed_by_the_release_before_hkdf(secret: str) -> str:
    """Exactly what FernetSecretBox did before: the box key an HMAC of the master key."""
    key = hmac.new(MASTER, b"hostprovider secret box v1", hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(key)).encrypt(secret.encode()).decode("ascii")


def test_an_upgraded_deployment_opens_what_it_sealed_before() -> None:
    old = _sealed_by_the_release_before_hkdf("Root-pass-\u00e9-123")
    assert FernetSecretBox(MASTER).open(old) == "Root-pass-\u00e9-123"
    assert FernetSecretBox(b"another master key!!").open(old) is None


def test_new_seals_are_made_under_the_derived_key() -> None:
    sealed = FernetSecretBox(MASTER).seal("Root-pass-123")
    v2 = Fernet(base64.urlsafe_b64encode(derive_key(MASTER, SECRET_BOX)))
    assert v2.decrypt(sealed.encode()).decode() == "Root-pass-123"
    v1 = hmac.new(MASTER, b"hostprovider secret box v1", hashlib.sha256).digest()
    with pytest.raises(InvalidToken):
        Fernet(base64.urlsafe_b64encode(v1)).decrypt(sealed.encode())
