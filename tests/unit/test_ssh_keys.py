"""SSH public keys as OpenSSH writes them: taken and fingerprinted as ssh-keygen does, refused
when weak, cut short, mislabelled or not a key at all."""

from __future__ import annotations

import base64
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from domain.model.errors import RuleViolation, ValidationError
from domain.model.ssh_keys import parse_public_key
from tests.ssh_keys_support import public_line

KEYS = {
    "ed25519": lambda: ed25519.Ed25519PrivateKey.generate(),
    "rsa-3072": lambda: rsa.generate_private_key(public_exponent=65537, key_size=3072),
    "ecdsa-p256": lambda: ec.generate_private_key(ec.SECP256R1()),
    "ecdsa-p521": lambda: ec.generate_private_key(ec.SECP521R1()),
}


@pytest.mark.parametrize("kind", sorted(KEYS))
def test_a_key_is_taken_with_ssh_keygens_fingerprint(kind: str, tmp_path: Path) -> None:
    line = public_line(KEYS[kind]())
    key = parse_public_key(line)
    assert key.line == line
    assert key.comment == "alice@laptop"
    keygen = shutil.which("ssh-keygen")
    if keygen is None:
        pytest.skip("no ssh-keygen to compare with")
    (tmp_path / "key.pub").write_text(line + "\n")
    printed = subprocess.run(
        [keygen, "-l", "-E", "sha256", "-f", str(tmp_path / "key.pub")],
        capture_output=True,
        text=True,
        check=True,  # fmt: skip
    ).stdout
    assert printed.split()[1] == key.fingerprint


def test_white_space_around_and_a_missing_comment_are_fine() -> None:
    bare = public_line(KEYS["ed25519"](), comment="")
    key = parse_public_key(f"  {bare}\n")
    assert key.line == bare and key.comment == ""


def test_an_rsa_key_under_2048_bits_is_too_weak() -> None:
    weak = public_line(rsa.generate_private_key(public_exponent=65537, key_size=1024))
    with pytest.raises(RuleViolation, match="1024 bits"):
        parse_public_key(weak)


def _relabelled(line: str, kind: str) -> str:
    return " ".join([kind, *line.split()[1:]])


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "<type> <base64 key>"),
        ("ssh-ed25519", "<type> <base64 key>"),
        ("ssh-dss AAAAB3NzaC1kc3MAAACBAP", "DSA"),
        ("ssh-foo AAAA", "unknown type"),
        ("ssh-ed25519 not*base64", "base64"),
        ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0", "cut short"),
    ],
)
def test_what_is_not_a_usable_key_is_refused_saying_why(text: str, problem: str) -> None:
    with pytest.raises(RuleViolation) as refused:
        parse_public_key(text)
    assert problem in refused.value.message and refused.value.field == "publicKey"


def test_a_key_named_as_another_type_is_refused() -> None:
    line = public_line(KEYS["ed25519"]())
    with pytest.raises(RuleViolation, match="its data says otherwise"):
        parse_public_key(_relabelled(line, "ssh-rsa"))


def test_two_keys_on_two_lines_are_refused() -> None:
    one, two = public_line(KEYS["ed25519"]()), public_line(KEYS["ed25519"]())
    with pytest.raises(RuleViolation, match="one line"):
        parse_public_key(f"{one}\n{two}")


def test_a_private_key_pasted_by_mistake_is_refused() -> None:
    private = KEYS["ed25519"]().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    )
    with pytest.raises(RuleViolation):
        parse_public_key(private.decode())


def test_a_blob_with_trailing_garbage_is_refused() -> None:
    kind, blob = public_line(KEYS["ed25519"]()).split()[:2]
    padded = base64.b64encode(base64.b64decode(blob) + b"\x00\x00\x00\x05extra").decode()
    with pytest.raises(RuleViolation):
        parse_public_key(f"{kind} {padded}")


def test_an_overlong_text_is_malformed() -> None:
    with pytest.raises(ValidationError) as refused:
        parse_public_key("ssh-rsa " + "A" * 20_000)
    assert type(refused.value) is ValidationError
