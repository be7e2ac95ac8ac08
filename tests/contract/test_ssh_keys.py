"""SSH keys on each store: a key once per account (by fingerprint, whatever its comment), each
customer's own, at most fifty; the same on memory and on PostgreSQL."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest

from adapters.memory import FakeClock, InlineJobQueue
from domain.model.accounts import Role
from domain.model.errors import AlreadyExists, Conflict, NotFound, RuleViolation
from domain.model.ssh_keys import MAX_KEYS_PER_CUSTOMER
from domain.usecases.actors import Actor
from domain.usecases.runtime import Runtime
from domain.usecases.ssh_keys import (
    NewSshKey,
    add_ssh_key,
    chosen_keys,
    delete_ssh_key,
    get_ssh_key,
    list_ssh_keys,
)
from tests.backoffice import Backoffice
from tests.ssh_keys_support import public_line

from . import builders as b

NOW = dt.datetime(2026, 2, 1, 3, 0, tzinfo=dt.UTC)


@attrs.define
class Keys:
    rt: Runtime

    def customer(self) -> Actor:
        with self.rt.uow() as uow:
            account = b.account(uow.accounts.next_id())
            uow.accounts.add(account)
            uow.commit()
        return Actor(account.id, Role.CUSTOMER)


@pytest.fixture
def keys(uow_factory) -> Keys:  # type: ignore[no-untyped-def]
    rt = Backoffice(store=uow_factory, jobs=InlineJobQueue(), clock=FakeClock(NOW)).rt
    return Keys(rt)


def test_a_key_is_kept_with_its_fingerprint_and_named_by_its_comment(keys: Keys) -> None:
    ann = keys.customer()
    line = public_line()
    added = add_ssh_key(keys.rt, ann, NewSshKey("", line))
    assert (added.name, added.public_key) == ("alice@laptop", line)
    assert added.fingerprint.startswith("SHA256:")
    assert list_ssh_keys(keys.rt, ann) == [added]
    assert get_ssh_key(keys.rt, ann, added.id) == added


def test_the_same_key_twice_is_refused_whatever_its_comment(keys: Keys) -> None:
    ann, bob = keys.customer(), keys.customer()
    line = public_line(comment="first")
    add_ssh_key(keys.rt, ann, NewSshKey("laptop", line))
    again = " ".join([*line.split()[:2], "second"])
    with pytest.raises(AlreadyExists):
        add_ssh_key(keys.rt, ann, NewSshKey("again", again))
    add_ssh_key(keys.rt, bob, NewSshKey("bob's copy", line))  # another account may hold it
    assert len(list_ssh_keys(keys.rt, ann)) == 1


def test_someone_elses_key_is_not_found_and_cannot_be_chosen(keys: Keys) -> None:
    ann, bob = keys.customer(), keys.customer()
    added = add_ssh_key(keys.rt, ann, NewSshKey("laptop", public_line()))
    with pytest.raises(NotFound):
        get_ssh_key(keys.rt, bob, added.id)
    with pytest.raises(NotFound):
        delete_ssh_key(keys.rt, bob, added.id)
    with keys.rt.uow() as uow:
        assert chosen_keys(uow, ann, (added.id,)) == (added.public_key,)
        with pytest.raises(RuleViolation) as refused:
            chosen_keys(uow, bob, (added.id,))
    assert refused.value.field == "sshKeys"


def test_a_removed_key_is_gone(keys: Keys) -> None:
    ann = keys.customer()
    added = add_ssh_key(keys.rt, ann, NewSshKey("laptop", public_line()))
    delete_ssh_key(keys.rt, ann, added.id)
    assert list_ssh_keys(keys.rt, ann) == []
    with pytest.raises(NotFound):
        delete_ssh_key(keys.rt, ann, added.id)


def test_at_most_fifty_keys(keys: Keys) -> None:
    ann = keys.customer()
    for n in range(MAX_KEYS_PER_CUSTOMER):
        add_ssh_key(keys.rt, ann, NewSshKey(f"key {n}", public_line()))
    with pytest.raises(Conflict):
        add_ssh_key(keys.rt, ann, NewSshKey("one more", public_line()))
