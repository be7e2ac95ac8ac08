"""`GET /metrics` and the middleware that counts and times every request for it.

Requests are labelled by route template (`/api/server/{server_id:int}`), never by raw path: one
series per route, however many ids the clients send. A path no route matches is `unmatched`."""

from __future__ import annotations

import time
from typing import Any

import falcon

from domain.usecases.runtime import Runtime
from entrypoints import metrics


class RequestMetrics:
    """First in the middleware list, so its timer spans every other component. The labelled
    series are looked up once per (route, method, status) and kept: `labels()` costs a lock and
    a tuple of strings each time."""

    def __init__(self) -> None:
        self._series: dict[tuple[str, str, str], tuple[Any, Any]] = {}

    def _series_of(self, route: str, method: str, status: str) -> tuple[Any, Any]:
        key = (route, method, status)
        found = self._series.get(key)
        if found is None:
            m = metrics.instruments()
            found = (m.requests.labels(*key), m.request_seconds.labels(*key))
            self._series[key] = found
        return found

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        req.context.metrics_started = time.perf_counter()

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: Any, req_succeeded: bool
    ) -> None:
        started = req.context.get("metrics_started")
        if started is None:
            return
        status = str(resp.status_code)
        route = req.uri_template if resource is not None and req.uri_template else "unmatched"
        # A client may send any method name: only the HTTP ones become series of their own.
        method = req.method if req.method in falcon.COMBINED_METHODS else "other"
        count, seconds = self._series_of(route, method, status)
        count.inc()
        seconds.observe(time.perf_counter() - started)


class Metrics:
    """The Prometheus text format. Public, as a health probe is: keep it off the public proxy
    (README "Metrics") rather than behind a customer's token."""

    auth = "public"

    def __init__(self, runtime: Runtime) -> None:
        self.registry = metrics.registry(runtime)

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = metrics.CONTENT_TYPE
        resp.data = metrics.render(self.registry)


def install(app: falcon.App, runtime: Runtime) -> None:
    """The scrape route; kept out of the OpenAPI document (it is not JSON, nor for customers)."""
    app.add_route("/metrics", Metrics(runtime))
