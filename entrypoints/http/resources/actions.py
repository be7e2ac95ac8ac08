"""Actions: every asynchronous operation a client can poll, one by id (the seed's taskId) and a
server's list."""

from __future__ import annotations

import falcon

from domain.usecases import servers as uc
from entrypoints.http import codec
from entrypoints.http.resources.base import Op, Resource, actor, set_json
from entrypoints.http.resources.servers import NOT_YOURS
from entrypoints.http.response_schemas import ACTION


class ActionItem(Resource):
    spec = {
        "get": Op(
            "An asynchronous operation (the seed's taskId)", "servers", None, ACTION, 200, NOT_YOURS
        )
    }

    def on_get(self, req: falcon.Request, resp: falcon.Response, action_id: int) -> None:
        set_json(resp, codec.action(uc.get_action(self.rt, actor(req), action_id)))


class ServerActions(Resource):
    spec = {
        "get": Op(
            "A server's actions, newest first",
            "servers",
            None,
            {"type": "array", "items": ACTION},
            200,
            NOT_YOURS,
        )
    }

    def on_get(self, req: falcon.Request, resp: falcon.Response, server_id: int) -> None:
        set_json(resp, [codec.action(a) for a in uc.server_actions(self.rt, actor(req), server_id)])
