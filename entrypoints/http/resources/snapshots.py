"""A server's snapshots on the seed API's routes: taking, rolling back and deleting one are actions
(202 with the seed's taskId)."""

from __future__ import annotations

import falcon

from domain.model.server_commands import OnSnapshot, TakeSnapshot
from domain.model.values import SnapshotName
from domain.usecases import snapshots as uc
from entrypoints.http import codec
from entrypoints.http.body import parse
from entrypoints.http.resources.base import Op, Resource, actor, set_json
from entrypoints.http.resources.servers import NOT_YOURS
from entrypoints.http.response_schemas import ACCEPTED, ANY_OBJECT
from entrypoints.http.schemas import SNAPSHOT_CREATE, SNAPSHOT_NAME


class Snapshots(Resource):
    spec = {
        "get": Op("Snapshots of a server", "snapshots", None, ANY_OBJECT, 200, NOT_YOURS),
        "post": Op(
            "Take a snapshot", "snapshots", SNAPSHOT_CREATE, ACCEPTED, 202, (400, *NOT_YOURS, 409)
        ),
        "delete": Op(
            "Delete a snapshot (named in the body)",
            "snapshots",
            SNAPSHOT_NAME,
            ACCEPTED,
            202,
            (400, *NOT_YOURS, 409),
        ),
    }

    def on_get(self, req: falcon.Request, resp: falcon.Response, server_id: int) -> None:
        snaps = uc.list_snapshots(self.rt, actor(req), server_id)
        set_json(resp, {"status": "success", "data": [codec.snapshot(s) for s in snaps]})

    def on_post(self, req: falcon.Request, resp: falcon.Response, server_id: int) -> None:
        body = parse(req, SNAPSHOT_CREATE)
        command = TakeSnapshot(
            server_id, SnapshotName(body["snapname"]), body.get("description", "")
        )
        action = uc.create_snapshot(self.rt, actor(req), command)
        set_json(
            resp,
            {**codec.accepted(action, "snapshot"), "snapname": body["snapname"]},
            falcon.HTTP_202,
        )

    def on_delete(self, req: falcon.Request, resp: falcon.Response, server_id: int) -> None:
        body = parse(req, SNAPSHOT_NAME)
        command = OnSnapshot(server_id, SnapshotName(body["snapname"]))
        action = uc.delete_snapshot(self.rt, actor(req), command)
        set_json(resp, codec.accepted(action, "delete_snapshot"), falcon.HTTP_202)


class SnapshotRollback(Resource):
    spec = {
        "post": Op(
            "Roll a server back to a snapshot",
            "snapshots",
            SNAPSHOT_NAME,
            ACCEPTED,
            202,
            (400, *NOT_YOURS, 409),
        )
    }

    def on_post(self, req: falcon.Request, resp: falcon.Response, server_id: int) -> None:
        body = parse(req, SNAPSHOT_NAME)
        command = OnSnapshot(server_id, SnapshotName(body["snapname"]))
        action = uc.rollback_snapshot(self.rt, actor(req), command)
        set_json(resp, codec.accepted(action, "rollback"), falcon.HTTP_202)
