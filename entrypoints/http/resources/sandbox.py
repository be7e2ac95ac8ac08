"""PUT /api/sandbox/servers/{id}/load: the sandbox's hand on its simulated guests' load, so that
demos and QA can watch live figures move and alerts fire. Admin only; the route exists only when
the hypervisor is the sandbox's own simulated one (elsewhere the path is 404)."""

from __future__ import annotations

import falcon

from adapters.memory import FakeHypervisor
from domain.model.errors import Conflict
from domain.usecases.runtime import Runtime
from domain.usecases.servers import get_server
from entrypoints.http.body import parse
from entrypoints.http.resources.base import Op, Resource, actor, set_json
from entrypoints.http.schemas import obj

PERCENT = {"type": "integer", "minimum": 0, "maximum": 100}
LOAD = obj({"cpu": PERCENT, "memory": PERCENT, "disk": PERCENT}, minProperties=1)
LOAD_SET = obj({"serverId": {"type": "integer"}, "load": LOAD}, ("serverId", "load"))


class SandboxLoad(Resource):
    auth = "admin"
    spec = {
        "put": Op(
            "Sandbox only: set a simulated guest's load in percent until changed again",
            "sandbox",
            LOAD,
            LOAD_SET,
            200,
            (400, 401, 403, 404, 409),
        ),
    }

    def __init__(self, runtime: Runtime, hypervisor: FakeHypervisor) -> None:
        super().__init__(runtime)
        self.hypervisor = hypervisor

    def on_put(self, req: falcon.Request, resp: falcon.Response, server_id: int) -> None:
        body = parse(req, LOAD)
        who = actor(req)
        server = get_server(self.rt, who, server_id)
        node, vmid = server.placement.node, server.placement.vmid
        if not node or not vmid:
            raise Conflict("the server has no guest yet")
        figures = self.hypervisor.stats(node, vmid)
        self.hypervisor.set_usage(
            vmid,
            cpu=body["cpu"] / 100 if "cpu" in body else None,
            memory_used=figures.memory_max * body["memory"] // 100 if "memory" in body else None,
            disk_used=figures.disk_max * body["disk"] // 100 if "disk" in body else None,
        )
        set_json(resp, {"serverId": server.id, "load": body})
