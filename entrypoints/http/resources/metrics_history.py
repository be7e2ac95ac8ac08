"""GET /api/server/{id}/metrics: a server's figures over time, as points `step` seconds apart."""

from __future__ import annotations

import attrs
import falcon

from domain.model.commands import MetricsQuery
from domain.model.metrics import MAX_POINTS, MAX_RANGE, MetricPoint
from domain.usecases import metrics as uc
from entrypoints.http.codec import when
from entrypoints.http.commands import structure
from entrypoints.http.resources.base import Op, Resource, actor, int_query, set_json

MAX_STEP = int(MAX_RANGE.total_seconds())
POINT = {
    "type": "object",
    "required": ["at", "cpu", "memory", "disk", "netIn", "netOut", "diskRead", "diskWrite"],
}
HISTORY = {
    "type": "object",
    "required": ["serverId", "from", "to", "step", "points"],
    "properties": {"points": {"type": "array", "items": POINT}},
}
PARAMS = (
    ("from", {"type": "string", "format": "date-time", "description": "default: an hour ago"}),
    ("to", {"type": "string", "format": "date-time", "description": "default: now"}),
    (
        "step",
        {
            "type": "integer",
            "minimum": 1,
            "maximum": MAX_STEP,
            "description": f"seconds; chosen so that at most {MAX_POINTS} points come when omitted",
        },
    ),
)


def point(p: MetricPoint) -> dict[str, object]:
    return {
        "at": when(p.at),
        "cpu": p.cpu,
        "memory": p.memory,
        "disk": p.disk,
        "netIn": p.net_in,
        "netOut": p.net_out,
        "diskRead": p.disk_read,
        "diskWrite": p.disk_write,
    }


class ServerMetrics(Resource):
    spec = {
        "get": Op(
            f"My server's cpu, memory, disk (percent), network and disk I/O (bytes/s) over time, "
            f"at most {MAX_POINTS} points",
            "servers",
            None,
            HISTORY,
            200,
            (400, 401, 404, 422),
            params=PARAMS,
        )
    }

    def on_get(self, req: falcon.Request, resp: falcon.Response, server_id: int) -> None:
        asked = {"serverId": server_id, "from": req.get_param("from"), "to": req.get_param("to")}
        query = attrs.evolve(  # the window's refusals first, as the query string reads
            structure(asked, MetricsQuery), step=int_query(req, "step", 1, MAX_STEP)
        )
        history = uc.server_metrics(self.rt, actor(req), query)
        window = history.window
        set_json(
            resp,
            {
                "serverId": history.server_id,
                "from": when(window.start),
                "to": when(window.end),
                "step": window.step,
                "points": [point(p) for p in history.points],
            },
        )
