"""A customer's SSH keys: added once each (by fingerprint), listed, removed, and chosen by id for
a new server, whose guest then takes them (LXC `ssh-public-keys`, QEMU cloud-init `sshkeys`)."""

from __future__ import annotations

import attrs

from domain.model.errors import Conflict, NotFound, RuleViolation
from domain.model.ssh_keys import MAX_KEYS_PER_CUSTOMER, SshKey, parse_public_key
from domain.usecases.actors import Actor
from domain.usecases.paper_trail import audit
from domain.usecases.runtime import Runtime
from ports.unit_of_work import UnitOfWork


@attrs.frozen
class NewSshKey:
    name: str
    public_key: str


def add_ssh_key(rt: Runtime, actor: Actor, command: NewSshKey) -> SshKey:
    checked = parse_public_key(command.public_key)
    name = command.name.strip() or checked.comment or checked.fingerprint
    now = rt.clock.now()
    with rt.uow() as uow:
        uow.accounts.get_for_update(actor.account_id)  # one at a time per customer: the cap holds
        if len(uow.ssh_keys.for_owner(actor.account_id)) >= MAX_KEYS_PER_CUSTOMER:
            raise Conflict(f"a customer has at most {MAX_KEYS_PER_CUSTOMER} SSH keys")
        key = SshKey(
            id=uow.ssh_keys.next_id(),
            owner_id=actor.account_id,
            name=name,
            public_key=checked.line,
            fingerprint=checked.fingerprint,
            created_at=now,
        )
        uow.ssh_keys.add(key)
        audit(uow, actor, "ssh_key.add", f"ssh_key:{key.id}", now, fingerprint=key.fingerprint)
        uow.commit()
    return key


def list_ssh_keys(rt: Runtime, actor: Actor) -> list[SshKey]:
    with rt.uow() as uow:
        return uow.ssh_keys.for_owner(actor.account_id)


def get_ssh_key(rt: Runtime, actor: Actor, key_id: int) -> SshKey:
    with rt.uow() as uow:
        return owned_key(uow, actor, key_id)


def delete_ssh_key(rt: Runtime, actor: Actor, key_id: int) -> None:
    """The key is no longer offered for new servers; guests that took it keep it."""
    now = rt.clock.now()
    with rt.uow() as uow:
        key = owned_key(uow, actor, key_id)
        uow.ssh_keys.remove(key.id)
        audit(uow, actor, "ssh_key.delete", f"ssh_key:{key.id}", now)
        uow.commit()


def owned_key(uow: UnitOfWork, actor: Actor, key_id: int) -> SshKey:
    """Another customer's key is 'not found': an id must not reveal that it exists."""
    key = uow.ssh_keys.get(key_id)
    if key is None or key.owner_id != actor.account_id:
        raise NotFound("ssh key", key_id)
    return key


def chosen_keys(uow: UnitOfWork, actor: Actor, key_ids: tuple[int, ...]) -> tuple[str, ...]:
    """The lines of the keys an order names, in its order; a key that is not the customer's is
    refused as a rule of the order (the field is `sshKeys`), not as a missing page."""
    lines = []
    for key_id in key_ids:
        key = uow.ssh_keys.get(key_id)
        if key is None or key.owner_id != actor.account_id:
            raise RuleViolation("sshKeys", f"has {key_id}, which is not one of your SSH keys")
        lines.append(key.public_key)
    return tuple(lines)
