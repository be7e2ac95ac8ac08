"""The pfSense REST API v2 response envelope and the error the handlers raise to produce one.

Every answer of the package, success or failure, is `{code, status, response_id, message,
data}` with the HTTP status equal to `code`, `status` the lower-case reason phrase and quotes in
the message turned into backticks. `data` is an object for singular endpoints, a list for plural
ones and `[]` on errors.
"""

from __future__ import annotations

from typing import Any

REASONS = {
    200: "ok",
    400: "bad request",
    401: "unauthorized",
    403: "forbidden",
    404: "not found",
    405: "method not allowed",
    409: "conflict",
    415: "unsupported media type",
    500: "internal server error",
    501: "not implemented",
    502: "bad gateway",
    503: "service unavailable",
    504: "gateway timeout",
}


def envelope(code: int, response_id: str, message: str, data: Any) -> dict[str, Any]:
    return {
        "code": code,
        "status": REASONS.get(code, "unknown"),
        "response_id": response_id.upper(),
        "message": message.replace('"', "`").replace("'", "`"),
        "data": data,
    }


class ApiError(Exception):
    """A non-200 answer. `violation` marks a request that breaks the API's schema (unknown or
    missing field, wrong type, unknown endpoint...): the simulator records it so the test that sent
    it can be failed even when the client copes with the error."""

    def __init__(
        self,
        code: int,
        response_id: str,
        message: str,
        *,
        data: Any = None,
        violation: bool = False,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.response_id = response_id
        self.message = message
        self.data = [] if data is None else data
        self.violation = violation
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return envelope(self.code, self.response_id, self.message, self.data)


def invalid(response_id: str, message: str, *, violation: bool = False) -> ApiError:
    return ApiError(400, response_id, message, violation=violation)


def schema_violation(response_id: str, message: str) -> ApiError:
    return ApiError(400, response_id, message, violation=True)


def not_found(object_id: object) -> ApiError:
    return ApiError(404, "MODEL_OBJECT_NOT_FOUND", f"Object with ID `{object_id}` does not exist.")


def parent_not_found(parent_id: object) -> ApiError:
    return ApiError(
        404,
        "MODEL_PARENT_OBJECT_NOT_FOUND",
        f"Parent object with ID `{parent_id}` does not exist.",
    )


def conflict(response_id: str, message: str, data: Any = None) -> ApiError:
    return ApiError(409, response_id, message, data=data)


def write_locked(retry_after: int) -> ApiError:
    return ApiError(
        503,
        "MODEL_WRITE_CONFIG_LOCKED",
        "Failed to write to the configuration file after multiple attempts.",
        headers={"Retry-After": str(retry_after)},
    )
