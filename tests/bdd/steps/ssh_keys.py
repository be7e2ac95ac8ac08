"""Steps about customers' SSH keys."""

from __future__ import annotations

import attrs
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from pytest_bdd import given, parsers, then, when

from domain.usecases.ssh_keys import NewSshKey, add_ssh_key, delete_ssh_key, list_ssh_keys
from tests.ssh_keys_support import public_line

from .common import NAME, Outcome, Shop, attempt
from .servers import place_order, tariff_order


@pytest.fixture
def public_keys() -> dict[str, str]:
    """The last key line each customer added, by customer name."""
    return {}


def _add(shop: Shop, public_keys: dict[str, str], name: str, label: str, line: str) -> Outcome:
    public_keys[name] = line
    return attempt(lambda: add_ssh_key(shop.rt, shop.customer(name).actor, NewSshKey(label, line)))


@given(parsers.re(rf'^{NAME} has added (?:her|his) ed25519 key "(?P<label>[^"]+)"$'))
def _has_added(shop: Shop, public_keys: dict[str, str], name: str, label: str) -> None:
    _add(shop, public_keys, name, label, public_line(comment="")).result()


@when(
    parsers.re(rf'^{NAME} adds (?:her|his) ed25519 key "(?P<label>[^"]+)"$'),
    target_fixture="outcome",
)
def _adds(shop: Shop, public_keys: dict[str, str], name: str, label: str) -> Outcome:
    return _add(shop, public_keys, name, label, public_line(comment=""))


@when(
    parsers.re(rf'^{NAME} adds the same key again as "(?P<label>[^"]+)"$'), target_fixture="outcome"
)
def _adds_again(shop: Shop, public_keys: dict[str, str], name: str, label: str) -> Outcome:
    return _add(shop, public_keys, name, label, public_keys[name])


@when(
    parsers.re(rf'^{NAME} adds a (?P<bits>\d+)-bit RSA key "(?P<label>[^"]+)"$'),
    target_fixture="outcome",
)
def _adds_rsa(shop: Shop, public_keys: dict[str, str], name: str, bits: str, label: str) -> Outcome:
    private = rsa.generate_private_key(public_exponent=65537, key_size=int(bits))
    return _add(shop, public_keys, name, label, public_line(private, comment=""))


@when(
    parsers.re(rf'^{NAME} removes (?P<owner>[A-Z][a-z]+)\'s key "(?P<label>[^"]+)"$'),
    target_fixture="outcome",
)
def _removes(shop: Shop, name: str, owner: str, label: str) -> Outcome:
    [key] = [k for k in list_ssh_keys(shop.rt, shop.customer(owner).actor) if k.name == label]
    return attempt(lambda: delete_ssh_key(shop.rt, shop.customer(name).actor, key.id))


@then(
    parsers.re(
        rf'^{NAME} has (?P<count>\d+) SSH keys?, "(?P<label>[^"]+)", with an SHA256 fingerprint$'
    )
)
def _has_keys(shop: Shop, name: str, count: str, label: str) -> None:
    keys = list_ssh_keys(shop.rt, shop.customer(name).actor)
    assert len(keys) == int(count)
    assert keys[0].name == label and keys[0].fingerprint.startswith("SHA256:")


@when(
    parsers.re(
        rf'^{NAME} orders a "(?P<tariff>[^"]+)" server "(?P<server>[^"]+)" in (?P<city>[A-Z][a-z]+)'
        r' with (?:her|his) key "(?P<label>[^"]+)"$'
    ),
    target_fixture="outcome",
)
def _orders_with_key(
    shop: Shop, name: str, tariff: str, server: str, city: str, label: str
) -> Outcome:
    [key] = [k for k in list_ssh_keys(shop.rt, shop.customer(name).actor) if k.name == label]
    request = attrs.evolve(tariff_order(shop, tariff, server, city, None), ssh_keys=(key.id,))
    return place_order(shop, name, request)


@then(
    parsers.re(rf'^root on the guest of "(?P<server>[^"]+)" has {NAME}\'s key "(?P<label>[^"]+)"$')
)
def _guest_has_key(shop: Shop, server: str, name: str, label: str) -> None:
    [key] = [k for k in list_ssh_keys(shop.rt, shop.customer(name).actor) if k.name == label]
    vmid = shop.server(server).placement.vmid
    assert vmid is not None and shop.hypervisor.ssh_keys_of(vmid) == (key.public_key,)


@then(parsers.re(r'^no root password was shown for "(?P<server>[^"]+)"$'))
def _no_password(shop: Shop, server: str) -> None:
    assert shop.root_passwords[server] is None
