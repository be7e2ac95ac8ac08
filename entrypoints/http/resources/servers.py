"""Servers, exactly on the seed API's routes: the commands that start an action answer at once
(202) with its id, the seed's taskId. Snapshots are in snapshots.py, actions in actions.py."""

from __future__ import annotations

import falcon

from domain.model.action import Action
from domain.model.server_commands import OnServer, OpenConsole, ResizeServer
from domain.model.values import Cores, DiskGiB, MemoryMiB
from domain.usecases import server_commands as commands
from domain.usecases import servers as uc
from domain.usecases.catalogue import current_catalogue
from domain.usecases.ordering import create_server
from entrypoints.http import codec
from entrypoints.http.body import parse
from entrypoints.http.idempotency import run_once
from entrypoints.http.resources.base import Op, Resource, actor, set_json
from entrypoints.http.resources.catalogue import order_request
from entrypoints.http.response_schemas import ACCEPTED, ANY_OBJECT, SERVER
from entrypoints.http.schemas import CONSOLE, ORDER, RESIZE

NOT_YOURS = (401, 404)


class ServerList(Resource):
    spec = {
        "get": Op(
            "My servers (all of them: an account holds a bounded number)",
            "servers",
            None,
            {"type": "array", "items": SERVER},
            200,
            (401,),
        )
    }

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        catalogue = current_catalogue(self.rt)
        set_json(resp, [codec.server(s, catalogue) for s in uc.list_servers(self.rt, actor(req))])


class ServerCreate(Resource):
    spec = {
        "post": Op(
            "Order a server: a tariff or cores/memory/disk; the root password is shown once",
            "servers",
            ORDER,
            {**SERVER, "required": ["id", "status", "rootPassword", "taskId"]},
            201,
            (400, 401, 402, 403, 404, 409, 422, 503),
            idempotent_key=True,
        )
    }

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = parse(req, ORDER)
        who = actor(req)

        def handler() -> tuple[str, object]:
            created = create_server(self.rt, who, order_request(body))
            shown = codec.server(created.server, current_catalogue(self.rt))
            return falcon.HTTP_201, {
                **shown,
                "rootPassword": created.root_password,
                "taskId": created.action.id,
            }

        run_once(self.rt, req, resp, who, handler, secret_fields=("rootPassword",))


class ServerItem(Resource):
    spec = {
        "get": Op("One of my servers", "servers", None, SERVER, 200, NOT_YOURS),
        "delete": Op(
            "Delete a server and its guest; usage is billed up to now",
            "servers",
            None,
            ACCEPTED,
            202,
            (*NOT_YOURS, 409),
        ),
    }

    def on_get(self, req: falcon.Request, resp: falcon.Response, server_id: int) -> None:
        set_json(
            resp,
            codec.server(uc.get_server(self.rt, actor(req), server_id), current_catalogue(self.rt)),
        )

    def on_delete(self, req: falcon.Request, resp: falcon.Response, server_id: int) -> None:
        action = commands.delete_server(self.rt, actor(req), OnServer(server_id))
        set_json(resp, {**codec.accepted(action, "delete"), "status": "deleting"}, falcon.HTTP_202)


class ServerStatus(Resource):
    spec = {
        "get": Op(
            "Status and live figures (cpu, memory, disk, network, uptime, rrdData)",
            "servers",
            None,
            ANY_OBJECT,
            200,
            NOT_YOURS,
        )
    }

    def on_get(self, req: falcon.Request, resp: falcon.Response, server_id: int) -> None:
        server, stats, rrd = uc.server_stats(self.rt, actor(req), server_id)
        set_json(resp, codec.stats(server, stats, rrd))


class ServerPower(Resource):
    """POST /api/server/{id}/start, /stop and /restart: accepted at once, run as an action."""

    spec = {
        f"post_{verb}": Op(
            f"{verb.capitalize()} a server", "servers", None, ACCEPTED, 202, (*NOT_YOURS, 409)
        )
        for verb in ("start", "stop", "restart")
    }

    def _answer(self, resp: falcon.Response, action: Action, verb: str) -> None:
        set_json(resp, codec.accepted(action, verb), falcon.HTTP_202)

    def on_post_start(self, req: falcon.Request, resp: falcon.Response, server_id: int) -> None:
        action = commands.start_server(self.rt, actor(req), OnServer(server_id))
        self._answer(resp, action, "start")

    def on_post_stop(self, req: falcon.Request, resp: falcon.Response, server_id: int) -> None:
        self._answer(resp, commands.stop_server(self.rt, actor(req), OnServer(server_id)), "stop")

    def on_post_restart(self, req: falcon.Request, resp: falcon.Response, server_id: int) -> None:
        action = commands.restart_server(self.rt, actor(req), OnServer(server_id))
        self._answer(resp, action, "restart")


class ServerPassword(Resource):
    spec = {
        "post": Op(
            "Reset the root password; the new one is shown once",
            "servers",
            None,
            {"type": "object", "required": ["status", "password", "taskId"]},
            202,
            (*NOT_YOURS, 409),
        )
    }

    def on_post(self, req: falcon.Request, resp: falcon.Response, server_id: int) -> None:
        reset = commands.reset_password(self.rt, actor(req), OnServer(server_id))
        set_json(
            resp,
            {
                **codec.accepted(reset.action, "password"),
                "password": reset.password,
                **({"user": reset.user} if reset.user else {}),
            },
            falcon.HTTP_202,
        )


class ServerResize(Resource):
    spec = {
        "put": Op(
            "Change cores, memory or disk (disks only grow)",
            "servers",
            RESIZE,
            ACCEPTED,
            202,
            (400, *NOT_YOURS, 402, 403, 409, 422),
        )
    }

    def on_put(self, req: falcon.Request, resp: falcon.Response, server_id: int) -> None:
        body = parse(req, RESIZE)
        command = ResizeServer(
            server_id,
            cores=Cores(body["cores"]) if "cores" in body else None,
            memory=MemoryMiB(body["memory"]) if "memory" in body else None,
            disk=DiskGiB(body["disk"]) if "disk" in body else None,
        )
        action = commands.resize_server(self.rt, actor(req), command)
        set_json(
            resp,
            {**codec.accepted(action, "resize"), "data": {k: body[k] for k in sorted(body)}},
            falcon.HTTP_202,
        )


class Console(Resource):
    spec = {
        "post": Op(
            "A short-lived noVNC console ticket for one of my servers",
            "servers",
            CONSOLE,
            {"type": "object", "required": ["status", "url"]},
            200,
            (400, *NOT_YOURS, 409),
        )
    }

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = parse(req, CONSOLE)
        ticket = uc.open_console(self.rt, actor(req), OpenConsole(body["vmid"]))
        set_json(
            resp,
            {
                "status": "success",
                "url": ticket.url,
                "host": ticket.host,
                "port": ticket.port,
                "ticket": ticket.ticket,
                "expiresAt": codec.when(ticket.expires_at),
            },
        )
