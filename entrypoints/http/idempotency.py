"""`Idempotency-Key` on POSTs that create or charge: the first response is kept and replayed.

The key is claimed in its own unit of work before the use case runs, so two concurrent requests with
one key cannot both run: the second sees the claim and gets 409. A claim whose request died with its
process (its lease ran out, or on PostgreSQL its process has no connection left) is taken over by
the next request with the key, so a crash never leaves a key stuck; unless the request committed a
change before it died (PostgreSQL marks the claim in that change's transaction): then the retry is
told the answer was lost (409 `idempotency_key_unanswered`) rather than doing it twice. A request
that fails before changing anything (a 4xx from validation or the domain) releases its claim, so
the client may fix and retry. The same key with another body is 409, never a silent replay of
something else.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

import falcon

from domain.usecases.actors import Actor
from domain.usecases.runtime import Runtime
from entrypoints.http.body import raw_body
from entrypoints.http.errors import ApiError
from entrypoints.http.schemas import IDEMPOTENCY_KEY
from ports.idempotency import REQUEST_CLAIM, IdempotencyRecord, StoredResponse

HEADER = "Idempotency-Key"
KEEP_FOR = dt.timedelta(hours=24)
# No request runs longer than gunicorn's worker timeout (60 s, entrypoints/serve.py): a claim still
# without a response after this belongs to a request that died, and a retry takes it over. (On
# PostgreSQL a claim whose process is gone is taken over at once.)
LEASE = dt.timedelta(seconds=60)
_KEY = re.compile(IDEMPOTENCY_KEY["pattern"])


def request_key(req: falcon.Request) -> str | None:
    key = req.get_header(HEADER)
    if key is None:
        return None
    if not _KEY.fullmatch(key):
        raise ApiError(
            falcon.HTTP_400,
            "invalid",
            f"{HEADER} must be 1-255 visible ASCII characters",
            field=HEADER,
        )
    return key


def run_once(
    runtime: Runtime,
    req: falcon.Request,
    resp: falcon.Response,
    actor: Actor,
    handler: Callable[[], tuple[str, Any]],
    *,
    secret_fields: tuple[str, ...] = (),
) -> None:
    """Run `handler` (returning status and media) at most once per Idempotency-Key.

    `secret_fields` (a root password) are answered once and kept as null in the stored replay: a
    secret is never stored in clear, not even for 24 hours. A client that lost the first answer
    resets     the password instead."""
    key = request_key(req)
    if key is None:
        resp.status, resp.media = handler()
        return
    fingerprint = hashlib.sha256(
        b"\n".join([req.method.encode(), req.path.encode(), raw_body(req)])
    ).hexdigest()
    now = runtime.clock.now()
    with runtime.uow() as uow:
        uow.idempotency.purge_before(now - KEEP_FOR)
        existing = uow.idempotency.claim(
            IdempotencyRecord(actor.account_id, key, fingerprint, now), stale_before=now - LEASE
        )
        uow.commit()
    if existing is not None:
        if existing.fingerprint != fingerprint:
            raise ApiError(
                falcon.HTTP_409,
                "idempotency_key_reused",
                f"this {HEADER} was used with another request",
            )
        if existing.response is None and existing.changed and existing.created_at < now - LEASE:
            raise ApiError(
                falcon.HTTP_409,
                "idempotency_key_unanswered",
                f"the request with this {HEADER} was carried out, but its answer was lost when "
                "its server stopped; look the result up instead of retrying",
            )
        if existing.response is None:
            raise ApiError(
                falcon.HTTP_409,
                "idempotency_key_in_use",
                f"a request with this {HEADER} is still running; retry shortly",
                headers={"Retry-After": "1"},
            )
        resp.status = falcon.code_to_http_status(existing.response.status)
        resp.content_type = existing.response.content_type
        resp.data = existing.response.body
        resp.set_header("Idempotent-Replayed", "true")
        return
    claim = REQUEST_CLAIM.set((actor.account_id, key))
    try:
        status, media = handler()
    except BaseException:
        REQUEST_CLAIM.reset(claim)
        with runtime.uow() as uow:
            uow.idempotency.release(actor.account_id, key)
            uow.commit()
        raise
    REQUEST_CLAIM.reset(claim)
    body = json.dumps(media, ensure_ascii=False, separators=(",", ":")).encode()
    stored = media
    if secret_fields and isinstance(media, dict):
        stored = {k: (None if k in secret_fields else v) for k, v in media.items()}
    stored_body = json.dumps(stored, ensure_ascii=False, separators=(",", ":")).encode()
    with runtime.uow() as uow:
        uow.idempotency.complete(
            actor.account_id,
            key,
            StoredResponse(int(status.split()[0]), stored_body, falcon.MEDIA_JSON),
        )
        uow.commit()
    resp.status = status
    resp.content_type = falcon.MEDIA_JSON
    resp.data = body
