"""The caller's SSH keys: add (checked and fingerprinted), list, read, remove."""

from __future__ import annotations

from typing import Any

import falcon

from domain.model.ssh_keys import MAX_KEY_TEXT, MAX_NAME, SshKey
from domain.usecases.ssh_keys import (
    NewSshKey,
    add_ssh_key,
    delete_ssh_key,
    get_ssh_key,
    list_ssh_keys,
)
from entrypoints.http import codec
from entrypoints.http.body import parse
from entrypoints.http.resources.base import PAGE_PARAMS, Op, Resource, actor, page_of, set_json
from entrypoints.http.response_schemas import PAGE
from entrypoints.http.schemas import ID, Schema, obj, text, trimmed

EXAMPLE_KEY = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl alice@laptop"
)
SSH_KEY_CREATE = obj(
    {
        "name": trimmed(1, MAX_NAME),
        "publicKey": text(1, MAX_KEY_TEXT, examples=[EXAMPLE_KEY]),
    },
    ("publicKey",),
)
SSH_KEY: Schema = {
    "type": "object",
    "required": ["id", "name", "fingerprint", "publicKey", "createdAt"],
    "properties": {
        "id": ID,
        "name": {"type": "string"},
        "fingerprint": {
            "type": "string",
            "examples": ["SHA256:l8sCZQ4iuEZDDNMWk5TYlUp0n9CNaBfvgnwGKyNz5e4"],
        },
        "publicKey": {"type": "string"},
        "createdAt": {"type": "string", "format": "date-time"},
    },
}


def key_view(key: SshKey) -> dict[str, Any]:
    return {
        "id": key.id,
        "name": key.name,
        "fingerprint": key.fingerprint,
        "publicKey": key.public_key,
        "createdAt": codec.when(key.created_at),
    }


class SshKeys(Resource):
    spec = {
        "get": Op("My SSH keys", "ssh-keys", None, PAGE, 200, (400, 401), params=PAGE_PARAMS),
        "post": Op(
            "Add an SSH public key (as in a .pub file); the name defaults to its comment",
            "ssh-keys",
            SSH_KEY_CREATE,
            SSH_KEY,
            201,
            (400, 401, 409, 422),
        ),
    }

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        page = page_of(req)
        found, total = page.cut(list_ssh_keys(self.rt, actor(req)))
        set_json(resp, codec.page([key_view(k) for k in found], page, total))

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = parse(req, SSH_KEY_CREATE)
        command = NewSshKey(name=body.get("name", ""), public_key=body["publicKey"])
        set_json(resp, key_view(add_ssh_key(self.rt, actor(req), command)), falcon.HTTP_201)


class SshKeyItem(Resource):
    spec = {
        "get": Op("One of my SSH keys", "ssh-keys", None, SSH_KEY, 200, (401, 404)),
        "delete": Op(
            "Remove an SSH key (servers that took it keep it)",
            "ssh-keys",
            None,
            {"type": "object"},
            204,
            (401, 404),
        ),
    }

    def on_get(self, req: falcon.Request, resp: falcon.Response, key_id: int) -> None:
        set_json(resp, key_view(get_ssh_key(self.rt, actor(req), key_id)))

    def on_delete(self, req: falcon.Request, resp: falcon.Response, key_id: int) -> None:
        delete_ssh_key(self.rt, actor(req), key_id)
        resp.status = falcon.HTTP_204
