"""/api/ssh-keys: add, list, read and remove the caller's keys; bad keys and someone else's."""

from __future__ import annotations

from typing import Any

import pytest
from api_support import Api, User, assert_error
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.ssh_keys_support import public_line


def test_a_key_is_added_listed_read_and_removed(api: Api, customer: User) -> None:
    line = public_line()
    added = api.post("/api/ssh-keys", user=customer, json={"name": "laptop", "publicKey": line})
    assert added.status_code == 201, added.text
    key = added.json
    assert (key["name"], key["publicKey"]) == ("laptop", line)
    assert key["fingerprint"].startswith("SHA256:") and len(key["fingerprint"]) == 50

    assert api.get("/api/ssh-keys", user=customer).json["data"] == [key]
    assert api.get(f"/api/ssh-keys/{key['id']}", user=customer).json == key
    assert api.delete(f"/api/ssh-keys/{key['id']}", user=customer).status_code == 204
    assert api.get("/api/ssh-keys", user=customer).json["data"] == []


def test_the_name_defaults_to_the_keys_comment(api: Api, customer: User) -> None:
    line = public_line(comment="bob@desk")
    added = api.post("/api/ssh-keys", user=customer, json={"publicKey": line})
    assert added.json["name"] == "bob@desk"


def test_someone_elses_key_is_not_found(api: Api, customer: User, stranger: User) -> None:
    line = public_line()
    key = api.post("/api/ssh-keys", user=customer, json={"publicKey": line}).json
    assert_error(api.get(f"/api/ssh-keys/{key['id']}", user=stranger), 404, "not_found")
    assert_error(api.delete(f"/api/ssh-keys/{key['id']}", user=stranger), 404, "not_found")
    assert len(api.get("/api/ssh-keys", user=customer).json["data"]) == 1


def test_the_same_key_twice_is_a_conflict(api: Api, customer: User) -> None:
    line = public_line()
    api.post("/api/ssh-keys", user=customer, json={"publicKey": line})
    again = api.post("/api/ssh-keys", user=customer, json={"publicKey": line})
    assert_error(again, 409, "already_exists")


WEAK = public_line(rsa.generate_private_key(public_exponent=65537, key_size=1024))


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"publicKey": WEAK}, 422, "publicKey"),
        ({"publicKey": "ssh-ed25519 AAAA"}, 422, "publicKey"),
        ({"publicKey": "-----BEGIN OPENSSH PRIVATE KEY-----"}, 422, "publicKey"),
        ({"publicKey": ""}, 400, "publicKey"),
        ({"name": "laptop"}, 400, "publicKey"),
        ({"publicKey": 42}, 400, "publicKey"),
        ({"publicKey": "ssh-ed25519 AAAA", "name": "  "}, 400, "name"),
    ],
)
def test_bad_keys_are_refused_and_change_nothing(
    api: Api, customer: User, body: dict[str, Any], status: int, field: str
) -> None:
    before = api.state()
    result = api.post("/api/ssh-keys", user=customer, json=body)
    assert_error(result, status, "rule_violation" if status == 422 else "invalid", field)
    assert api.state() == before


def test_an_order_with_keys_shows_no_root_password(api: Api, customer: User) -> None:
    line = public_line()
    key = api.post("/api/ssh-keys", user=customer, json={"publicKey": line}).json
    order = {"osId": 1, "locationId": 1, "cores": 1, "memory": 1024, "disk": 20}
    created = api.post("/api/server/create", user=customer, json={**order, "sshKeys": [key["id"]]})
    assert created.status_code == 201, created.text
    assert created.json["rootPassword"] is None


def test_an_order_naming_someone_elses_key_is_refused(
    api: Api, customer: User, stranger: User
) -> None:
    line = public_line()
    theirs = api.post("/api/ssh-keys", user=stranger, json={"publicKey": line}).json
    order = {"osId": 1, "locationId": 1, "cores": 1, "memory": 1024, "disk": 20}
    before = api.state()
    refused = api.post(
        "/api/server/create", user=customer, json={**order, "sshKeys": [theirs["id"]]}
    )
    assert_error(refused, 422, "rule_violation", "sshKeys")
    assert api.state() == before
