"""Actions: every asynchronous operation a client can poll, one by id (the seed's taskId) and a
server's list."""

from __future__ import annotations

import falcon

from domain.usecases import servers as uc
from entrypoints.http import codec
from entrypoints.http.resources.base import PAGE_PARAMS, Op, Resource, actor, page_of, set_json
from entrypoints.http.resources.servers import NOT_YOURS
from entrypoints.http.response_schemas import ACTION, PAGE


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
            PAGE,
            200,
            (400, *NOT_YOURS),
            params=PAGE_PARAMS,
        )
    }

    def on_get(self, req: falcon.Request, resp: falcon.Response, server_id: int) -> None:
        page = page_of(req)
        found, total = page.cut(uc.server_actions(self.rt, actor(req), server_id))
        set_json(resp, codec.page([codec.action(a) for a in found], page, total))
