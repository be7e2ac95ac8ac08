"""Rebuilding a server: wiped and installed again from an image, as an action (202)."""

from __future__ import annotations

import falcon

from domain.model.server_commands import RebuildServer
from domain.usecases.rebuilding import rebuild_server
from entrypoints.http import codec
from entrypoints.http.body import parse
from entrypoints.http.resources.base import Op, Resource, actor, set_json
from entrypoints.http.resources.servers import NOT_YOURS
from entrypoints.http.schemas import REBUILD

ANSWER = {
    "type": "object",
    "required": ["status", "taskId", "rootPassword", "removedSnapshots"],
    "properties": {
        "rootPassword": {"type": ["string", "null"]},
        "removedSnapshots": {"type": "array", "items": {"type": "string"}},
    },
}


class ServerRebuild(Resource):
    spec = {
        "post": Op(
            "Rebuild (reinstall) from an image of the same kind; the new root password is shown "
            "once, and the server's snapshots are removed",
            "servers",
            REBUILD,
            ANSWER,
            202,
            (400, *NOT_YOURS, 409, 422),
        )
    }

    def on_post(self, req: falcon.Request, resp: falcon.Response, server_id: int) -> None:
        body = parse(req, REBUILD)
        command = RebuildServer(server_id, body["osId"], tuple(body.get("sshKeys", ())))
        rebuilt = rebuild_server(self.rt, actor(req), command)
        removed = list(rebuilt.removed_snapshots)
        answer = {
            **codec.accepted(rebuilt.action, "rebuild"),
            "rootPassword": rebuilt.root_password,
            "user": rebuilt.user,
            "removedSnapshots": removed,
        }
        if removed:
            answer["warning"] = f"the rebuild removes {len(removed)} snapshot(s): " + ", ".join(
                removed
            )
        set_json(resp, answer, falcon.HTTP_202)
