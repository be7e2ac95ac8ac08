"""What every resource shares: the operation spec (which also feeds OpenAPI) and small readers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import falcon

from domain.model.errors import ValidationError
from domain.usecases.actors import Actor
from domain.usecases.runtime import Runtime
from entrypoints.http.errors import ApiError
from entrypoints.http.response_schemas import ANY_OBJECT
from entrypoints.http.schemas import Schema
from ports.paging import Page


@attrs.frozen
class Op:
    """One HTTP operation as the OpenAPI document shows it."""

    summary: str
    tag: str
    body: Schema | None = None
    response: Schema = ANY_OBJECT
    status: int = 200
    errors: tuple[int, ...] = ()
    idempotent_key: bool = False  # accepts Idempotency-Key
    key_required: bool = False  # and refuses a request without one
    params: tuple[tuple[str, Schema], ...] = ()  # query parameters
    path: tuple[tuple[str, Schema], ...] = ()  # path parameters that are not ids
    media: tuple[str, ...] = ()  # other media types the success response comes in (Accept)


class Resource:
    """Resources are thin: read the request, call one use case, shape the answer."""

    auth = "customer"
    spec: dict[str, Op] = {}  # by responder name: "get", "post", "post_start", ...

    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime


def actor(req: falcon.Request) -> Actor:
    found: Actor | None = req.context.get("actor")
    assert found is not None, "the resource's auth level guarantees an actor"
    return found


def _int_query(req: falcon.Request, name: str, default: int, low: int, high: int) -> int:
    found = int_query(req, name, low, high)
    return default if found is None else found


def int_query(req: falcon.Request, name: str, low: int, high: int) -> int | None:
    """A whole number within low..high from the query string, None when absent, else a 400."""
    raw = req.get_param(name)
    if raw is None:
        return None
    if not raw.isascii() or not raw.isdigit() or not low <= int(raw) <= high:
        raise ApiError(
            falcon.HTTP_400,
            "invalid",
            f"{name} must be a whole number within {low}..{high}",
            field=name,
        )
    return int(raw)


def page_of(req: falcon.Request) -> Page:
    """`page` and `perPage` (or its first spelling, `per_page`; `perPage` wins when both are
    given) from the query string."""
    camel, snake = int_query(req, "perPage", 1, 100), int_query(req, "per_page", 1, 100)
    per_page = camel if camel is not None else snake
    return Page(_int_query(req, "page", 1, 1, 1_000_000), 25 if per_page is None else per_page)


PAGE_PARAMS: tuple[tuple[str, Schema], ...] = (
    ("page", {"type": "integer", "minimum": 1, "maximum": 1_000_000}),
    ("perPage", {"type": "integer", "minimum": 1, "maximum": 100}),
    ("per_page", {"type": "integer", "minimum": 1, "maximum": 100, "deprecated": True}),
)


def set_json(resp: falcon.Response, media: Any, status: str = falcon.HTTP_200) -> None:
    resp.status = status
    resp.media = media


def moment(value: str | None, field: str) -> dt.datetime | None:
    """An RFC 3339 time from a body or query field, in UTC."""
    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(
            field, "must be an RFC 3339 time such as 2026-12-01T00:00:00Z"
        ) from None
    if parsed.tzinfo is None:
        raise ValidationError(field, "must carry a time zone (Z for UTC)")
    try:
        return parsed.astimezone(dt.UTC)
    except OverflowError:  # 9999-12-31T23:59:59-01:00 is past the last moment Python knows
        raise ValidationError(field, "is out of range") from None
