"""Every error leaves the API as `{"error": message, "code": machine_code, "details": {...}}`.

Domain errors map to statuses here and only here. Falcon's own errors (unknown route, wrong method,
malformed JSON) are re-shaped into the same body, and anything unexpected becomes a 500 with a
request id and no trace.
"""

from __future__ import annotations

import logging
from typing import Any

import falcon

from domain.model import errors as de
from domain.model.scopes import InsufficientScope

log = logging.getLogger("hostprovider.http")

# Most specific first: the first class an error is an instance of decides.
STATUS_BY_ERROR: tuple[tuple[type[de.DomainError], str], ...] = (
    (de.RuleViolation, falcon.HTTP_422),  # well-formed, refused by a rule of the moment
    (de.ValidationError, falcon.HTTP_400),
    (de.Throttled, falcon.HTTP_429),
    (de.NoCatalogue, falcon.HTTP_503),
    (de.NotFound, falcon.HTTP_404),
    (de.AuthenticationFailed, falcon.HTTP_401),
    (de.PermissionDenied, falcon.HTTP_403),
    (de.InsufficientFunds, falcon.HTTP_402),
    (de.AccountRestricted, falcon.HTTP_403),
    (de.QuoteRejected, falcon.HTTP_409),
    (de.PromoCodeRejected, falcon.HTTP_422),
    (de.Conflict, falcon.HTTP_409),  # also Locked, InvalidTransition, AlreadyExists
    (de.CapacityExhausted, falcon.HTTP_503),
    (de.Unavailable, falcon.HTTP_503),
    (de.ExternalFailure, falcon.HTTP_502),
)


class ApiError(Exception):
    """An error raised by the HTTP layer itself (a bad header, a missing body)."""

    def __init__(
        self,
        status: str,
        code: str,
        message: str,
        headers: dict[str, str] | None = None,
        **details: Any,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}
        self.details = details


def status_for(error: de.DomainError) -> str:
    for cls, status in STATUS_BY_ERROR:
        if isinstance(error, cls):
            return status
    return falcon.HTTP_400


def _write(
    resp: falcon.Response, status: str, code: str, message: str, details: dict[str, Any]
) -> None:
    resp.status = status
    resp.media = {"error": message, "code": code, "details": details}


def _domain(
    req: falcon.Request, resp: falcon.Response, ex: de.DomainError, params: dict[str, Any]
) -> None:
    status = status_for(ex)
    details = dict(ex.details)
    hint = details.pop("retry_after", None)  # what the failing part knows, for a 503 (private)
    told = details.get("retryAfter")  # a throttle or a busy process says when (shown too)
    if isinstance(told, int) and not isinstance(told, bool):
        resp.set_header("Retry-After", str(told))
    elif status == falcon.HTTP_503:
        resp.set_header("Retry-After", str(retry_after(hint)))
    if isinstance(ex, de.AuthenticationFailed):
        resp.set_header("WWW-Authenticate", 'Bearer realm="hostprovider"')
    elif isinstance(ex, InsufficientScope):  # RFC 6750, section 3.1
        challenge = f'Bearer realm="hostprovider", error="insufficient_scope", scope="{ex.scope}"'
        resp.set_header("WWW-Authenticate", challenge)
    _write(resp, status, ex.code, ex.message, {k: _plain(v) for k, v in details.items()})


# What a 503 tells the client to wait: what the failing part knows (the database's pool retries
# within 2 s), else a few seconds; never so long that a short outage keeps clients away.
RETRY_AFTER_SECONDS = (1, 5)


def retry_after(hint: object) -> int:
    low, high = RETRY_AFTER_SECONDS
    seconds = hint if isinstance(hint, int) and not isinstance(hint, bool) else high
    return min(max(seconds, low), high)


def _api(req: falcon.Request, resp: falcon.Response, ex: ApiError, params: dict[str, Any]) -> None:
    for name, value in ex.headers.items():
        resp.set_header(name, value)
    _write(resp, ex.status, ex.code, ex.message, ex.details)


_FALCON_CODES = {
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    400: "invalid",
    401: "unauthenticated",
    403: "forbidden",
    429: "rate_limited",
}


def _falcon(
    req: falcon.Request, resp: falcon.Response, ex: falcon.HTTPError, params: dict[str, Any]
) -> None:
    code = _FALCON_CODES.get(ex.status_code, "error")
    message = ex.description or ex.title or "error"
    if ex.status_code == 404:
        message = "no such resource"
    for name, value in dict(ex.headers or {}).items():
        resp.set_header(name, value)
    _write(resp, falcon.code_to_http_status(ex.status), code, message, {})


def _unexpected(
    req: falcon.Request, resp: falcon.Response, ex: Exception, params: dict[str, Any]
) -> None:
    if isinstance(ex, falcon.HTTPError):  # falcon.HTTPStatus and friends pass through the chain
        return _falcon(req, resp, ex, params)
    log.exception("unhandled error on %s %s", req.method, req.path)
    request_id = req.context.get("request_id", "")
    _write(
        resp,
        falcon.HTTP_500,
        "internal_error",
        "something went wrong on our side; it has been logged",
        {"requestId": request_id},
    )


def _plain(value: Any) -> Any:
    if isinstance(value, list | tuple):  # a list of problems stays a list
        return [_plain(item) for item in value]
    return value if isinstance(value, (str, int, bool, type(None))) else str(value)


def install(app: falcon.App) -> None:
    # Registration order matters in Falcon: later, more specific handlers win by MRO.
    app.add_error_handler(Exception, _unexpected)
    app.add_error_handler(falcon.HTTPError, _falcon)
    app.add_error_handler(de.DomainError, _domain)
    app.add_error_handler(ApiError, _api)
