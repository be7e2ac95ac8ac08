"""Orders that name SSH keys: the guest's root takes them, no root password is shown, and only
the customer's own keys can be named."""

from __future__ import annotations

from domain.model.errors import RuleViolation
from domain.usecases.actors import Actor
from domain.usecases.ssh_keys import NewSshKey, add_ssh_key
from tests.ssh_keys_support import public_line

from .support import World, refused


def test_the_guest_takes_the_keys_and_no_password_is_shown(world: World, customer: Actor) -> None:
    first = add_ssh_key(world.rt, customer, NewSshKey("laptop", public_line()))
    second = add_ssh_key(world.rt, customer, NewSshKey("desk", public_line()))

    created = world.order(customer, ssh_keys=(second.id, first.id))

    assert created.root_password is None
    server = world.server(created.server.id)
    assert server.status.value == "running"
    vmid = server.placement.vmid
    assert vmid is not None
    assert world.hypervisor.ssh_keys_of(vmid) == (second.public_key, first.public_key)
    assert world.hypervisor.password_of(vmid)  # root still has a password, which nobody saw


def test_an_order_without_keys_shows_the_password_the_guest_has(
    world: World, customer: Actor
) -> None:
    created = world.order(customer)
    vmid = world.server(created.server.id).placement.vmid
    assert vmid is not None
    assert created.root_password == world.hypervisor.password_of(vmid)
    assert world.hypervisor.ssh_keys_of(vmid) == ()


def test_someone_elses_key_is_refused_and_nothing_is_ordered(
    world: World, customer: Actor, stranger: Actor
) -> None:
    theirs = add_ssh_key(world.rt, stranger, NewSshKey("theirs", public_line()))
    error = refused(
        world, RuleViolation, world.order, customer, ssh_keys=(theirs.id,), field="sshKeys"
    )
    assert str(theirs.id) in error.message
    refused(world, RuleViolation, world.order, customer, ssh_keys=(999_999,), field="sshKeys")
