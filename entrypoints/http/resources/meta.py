"""Health, readiness and the OpenAPI document."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import falcon

from domain.model.errors import DomainError
from domain.usecases.catalogue import published_version
from entrypoints.http.errors import retry_after
from entrypoints.http.resources.base import Op, Resource, set_json


class Health(Resource):
    """The process is up and answering."""

    auth = "public"
    spec = {"get": Op("Liveness", "meta", None, {"type": "object"})}

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        set_json(resp, {"status": "ok"})


class Ready(Resource):
    """Every dependency answers: the store and any other check. A store with no catalogue yet is
    ready: that is when the operator publishes one through this API."""

    auth = "public"
    spec = {
        "get": Op("Readiness: dependencies answer", "meta", None, {"type": "object"}, 200, (503,))
    }

    def __init__(self, runtime, checks: dict[str, Callable[[], None]] | None = None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(runtime)
        self.checks = {"store": lambda: published_version(runtime), **(checks or {})}

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        results: dict[str, str] = {}
        hints: list[object] = []
        for name, check in self.checks.items():
            try:
                check()
                results[name] = "ok"
            except Exception as ex:  # noqa: BLE001 - a readiness probe reports any failure, it never 500s
                # The class only: a public probe must not echo internals.
                results[name] = f"failing: {type(ex).__name__}"
                if isinstance(ex, DomainError):
                    hints.append(ex.details.get("retry_after"))
        ready = all(v == "ok" for v in results.values())
        if not ready:
            resp.set_header("Retry-After", str(max(retry_after(h) for h in hints or [None])))
        set_json(
            resp,
            {"status": "ready" if ready else "not ready", "checks": results},
            falcon.HTTP_200 if ready else falcon.HTTP_503,
        )


class OpenApi(Resource):
    auth = "public"
    spec = {"get": Op("This document", "meta", None, {"type": "object"})}

    def __init__(self, runtime, document: Callable[[], dict[str, Any]]) -> None:  # type: ignore[no-untyped-def]
        super().__init__(runtime)
        self.document = document

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        set_json(resp, self.document())
