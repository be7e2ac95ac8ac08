"""Clocks, the argon2id hasher and the secret generator."""

from __future__ import annotations

import datetime as dt
import string

import pytest

from adapters.clock import SystemClock
from adapters.memory import FakeClock
from adapters.security import Argon2PasswordHasher, FernetSecretBox, SystemSecretGenerator
from adapters.security.randomness import PASSWORD_SYMBOLS


@pytest.fixture(params=["fake", "system"])
def clock(request):
    return FakeClock() if request.param == "fake" else SystemClock()


def test_clocks_give_aware_utc_and_never_go_backwards(clock):
    first = clock.now()
    second = clock.now()
    assert first.tzinfo is not None and first.utcoffset() == dt.timedelta(0)
    assert second >= first


def test_fake_clock_moves_by_hand():
    clock = FakeClock()
    assert clock.now() == dt.datetime(2026, 1, 15, 10, tzinfo=dt.UTC)
    clock.advance(90)
    clock.advance(dt.timedelta(minutes=1))
    assert clock.now() == dt.datetime(2026, 1, 15, 10, 2, 30, tzinfo=dt.UTC)
    clock.set(dt.datetime(2026, 3, 1, 12, tzinfo=dt.timezone(dt.timedelta(hours=3))))
    assert clock.now() == dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)
    with pytest.raises(ValueError):
        clock.set(dt.datetime(2026, 3, 1))
    with pytest.raises(ValueError):
        clock.advance(-1)


@pytest.fixture(scope="module")
def hasher() -> Argon2PasswordHasher:
    return Argon2PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)


def test_argon2id_verifies_only_the_hashed_password(hasher):
    stored = hasher.hash("correct horse battery")
    assert stored.startswith("$argon2id$")
    assert hasher.verify(stored, "correct horse battery")
    assert not hasher.verify(stored, "correct horse battery!")
    assert not hasher.verify("not a hash", "correct horse battery")
    assert not hasher.verify("", "")
    assert hasher.hash("same") != hasher.hash("same")  # salted


def test_needs_rehash_when_parameters_change(hasher):
    stored = hasher.hash("correct horse battery")
    assert not hasher.needs_rehash(stored)
    stronger = Argon2PasswordHasher(time_cost=2, memory_cost=8 * 1024, parallelism=1)
    assert stronger.needs_rehash(stored)
    assert hasher.needs_rehash("garbage")


def test_tokens_are_url_safe_and_long_enough():
    gen = SystemSecretGenerator()
    tokens = {gen.token() for _ in range(50)}
    assert len(tokens) == 50
    allowed = set(string.ascii_letters + string.digits + "-_")
    for t in tokens:
        assert len(t) >= 43 and set(t) <= allowed  # 43 base64 characters carry 256 bits


def test_passwords_are_twenty_shell_safe_characters_of_every_class():
    gen = SystemSecretGenerator()
    allowed = set(string.ascii_letters + string.digits + PASSWORD_SYMBOLS)
    for _ in range(50):
        p = gen.password()
        assert len(p) == 20 and set(p) <= allowed
        assert (
            any(c.islower() for c in p)
            and any(c.isupper() for c in p)
            and any(c.isdigit() for c in p)
        )


def test_a_secret_box_opens_what_it_sealed_and_nothing_else():
    box = FernetSecretBox(b"k" * 32)
    sealed = box.seal("Root-pass-\u00e9-123")
    assert "Root-pass" not in sealed
    assert box.open(sealed) == "Root-pass-\u00e9-123"
    assert FernetSecretBox(b"k" * 32).open(sealed) == "Root-pass-\u00e9-123"  # another process
    assert FernetSecretBox(b"other-key-" * 4).open(sealed) is None
    tampered = sealed[:-6] + ("A" if sealed[-6] != "A" else "B") + sealed[-5:]
    assert box.open(tampered) is None
    assert box.open("") is None and box.open("not a box") is None and box.open("\u00ff") is None
    with pytest.raises(ValueError):
        FernetSecretBox(b"short")
