"""The OpenAPI 3.1 document, built from the route table and the schemas that validate requests."""

from __future__ import annotations

import re
from typing import Any

from domain.model.scopes import Scope
from entrypoints.http.resources.base import Op, Resource
from entrypoints.http.response_schemas import ERROR
from entrypoints.http.schemas import IDEMPOTENCY_KEY
from entrypoints.http.scopes import ScopeTable

_STATUS_TEXT = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No Content",
    400: "Invalid input",
    401: "Not authenticated",
    402: "Insufficient funds",
    403: "Forbidden",
    404: "Not found",
    409: "Conflict",
    413: "Body too large",
    415: "Unsupported media type",
    422: "Unprocessable",
    429: "Too many requests",
    502: "Upstream failure",
    503: "Unavailable",
}
_PARAM = re.compile(r"{(\w+)(?::int)?}")
_SERVER_LIMITS = {
    "414": {
        "description": "Request line too long (answered by the HTTP server)",
        "content": {"application/json": {"schema": ERROR}},
    },
    "431": {
        "description": "Request headers too large (answered by the HTTP server)",
        "content": {"application/json": {"schema": ERROR}},
    },
}


def _operation(
    op: Op, auth: str, path_params: list[str], method: str, scope: Scope | None
) -> dict[str, Any]:
    responses: dict[str, Any] = {
        str(op.status): {
            "description": _STATUS_TEXT.get(op.status, "OK"),
            **(
                {"content": {"application/json": {"schema": op.response}}}
                if op.status != 204
                else {}
            ),
        },
    }
    errors = set(op.errors) | ({400} if op.body or op.params or path_params else set()) | {429}
    if op.body is not None:
        errors |= {413, 415}
    if auth in ("customer", "admin", "optional"):  # optional: a token, when sent, must be valid
        errors |= {401, 403}  # 403: a token without the scope, a session without X-CSRF-Token
    for status in sorted(errors):
        responses[str(status)] = {
            "description": _STATUS_TEXT.get(status, "Error"),
            "content": {"application/json": {"schema": ERROR}},
        }
    # gunicorn refuses an over-long request line or header block itself, before the API runs (in
    # the JSON error shape: entrypoints.gunicorn_worker).
    responses.update(_SERVER_LIMITS)
    operation: dict[str, Any] = {
        "summary": op.summary,
        "tags": [op.tag],
        "responses": responses,
        "operationId": None,
    }
    parameters = [
        {
            "name": p,
            "in": "path",
            "required": True,
            "schema": {"type": "integer", "minimum": 1, "maximum": 2_147_483_647},
        }
        for p in path_params
    ]
    parameters += [
        {"name": name, "in": "query", "required": False, "schema": schema}
        for name, schema in op.params
    ]
    if op.idempotent_key:
        parameters.append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": op.key_required,
                "schema": IDEMPOTENCY_KEY,
            }
        )
    if parameters:
        operation["parameters"] = parameters
    if op.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": op.body}},
        }
    # The scope a personal access token needs (a session has every scope).
    scopes = [scope.value] if scope is not None else []
    if auth in ("customer", "admin"):
        operation["security"] = [{"bearer": scopes}, {"session": []}]
    elif auth == "optional":
        operation["security"] = [{}, {"bearer": scopes}, {"session": []}]
    else:
        operation["security"] = []
    return operation


def build(
    routes: list[tuple[str, Resource, str | None]], scopes: ScopeTable | None = None
) -> dict[str, Any]:
    table = scopes or ScopeTable({})
    paths: dict[str, Any] = {}
    for template, resource, suffix in routes:
        path = _PARAM.sub(r"{\1}", template)
        params = _PARAM.findall(template)
        entry = paths.setdefault(path, {})
        for name, op in resource.spec.items():
            method, _, op_suffix = name.partition("_")
            if (op_suffix or None) != suffix:
                continue
            operation = _operation(
                op, resource.auth, params, method, table.needed(template, method)
            )
            operation["operationId"] = (
                method + "_" + re.sub(r"[^a-zA-Z0-9]+", "_", path).strip("_")
            ).lower()
            entry[method] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Oxnack VPS API (HostProviderSystem)",
            "version": "1.0.0",
            "description": "Money is {amount: decimal string, currency}; times are RFC 3339 UTC; "
            "errors are {error, code, details}. The seed routes and the Oxnack routes "
            "(/create_machine, /get_balance, /countries, /osystems, /parametrs, "
            "/calc_price) answer as documented here.",
        },
        "servers": [{"url": "/"}],
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "a login or personal access token; a personal token "
                    "needs the scope an operation lists (`servers:read`, `servers:write`, "
                    "`billing:read`, `billing:write`, `tickets`, `account`, `admin`; a write "
                    "scope includes its read scope; `*` is all of them), else 403 "
                    "insufficient_scope",
                },
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "session",
                    "description": "the login cookie; unsafe methods also need X-CSRF-Token",
                },
            }
        },
        "paths": paths,
    }
