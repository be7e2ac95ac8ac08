"""GET and PUT /api/server/{id}/firewall: a server's inbound rules, replaced as a whole.

A PUT is accepted at once (202 with the action's taskId, like the other server commands) and made
live by the action; GET shows the rules and whether the firewall enforces them yet.
"""

from __future__ import annotations

import falcon

from domain.model.commands import ReplaceFirewall
from domain.usecases import firewall as uc
from entrypoints.http import codec
from entrypoints.http.commands import command_from
from entrypoints.http.idempotency import run_once
from entrypoints.http.resources.base import Op, Resource, actor, set_json
from entrypoints.http.response_schemas import ACCEPTED, FIREWALL_VIEW
from entrypoints.http.rule_schemas import FIREWALL

NOT_YOURS = (401, 404)
CHANGE_ACCEPTED = {
    **ACCEPTED,
    "properties": {**ACCEPTED["properties"], "rules": FIREWALL_VIEW["properties"]["rules"]},
}


class ServerFirewall(Resource):
    spec = {
        "get": Op(
            "The inbound firewall rules of one of my servers, and whether they are live",
            "firewall",
            None,
            FIREWALL_VIEW,
            200,
            NOT_YOURS,
        ),
        "put": Op(
            "Replace every inbound firewall rule of a server; applied by an action",
            "firewall",
            FIREWALL,
            CHANGE_ACCEPTED,
            202,
            (400, *NOT_YOURS, 409, 422),
            idempotent_key=True,
        ),
    }

    def on_get(self, req: falcon.Request, resp: falcon.Response, server_id: int) -> None:
        set_json(resp, codec.firewall(uc.server_firewall(self.rt, actor(req), server_id)))

    def on_put(self, req: falcon.Request, resp: falcon.Response, server_id: int) -> None:
        command = command_from(req, FIREWALL, ReplaceFirewall, serverId=server_id)
        who = actor(req)

        def handler() -> tuple[str, object]:
            change = uc.replace_firewall(self.rt, who, command)
            return falcon.HTTP_202, {
                **codec.accepted(change.action, "firewall"),
                "rules": [codec.firewall_rule(rule) for rule in change.rules],
            }

        run_once(self.rt, req, resp, who, handler)
