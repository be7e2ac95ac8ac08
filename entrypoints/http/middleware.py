"""Cross-cutting HTTP concerns: request ids and access logs, rate limits, authentication, audit."""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import threading
import time
from typing import Any

import falcon

from domain.model.errors import AuthenticationFailed, DomainError
from domain.model.scopes import require as require_scope
from domain.usecases.accounts import authenticate
from domain.usecases.actors import Actor
from domain.usecases.runtime import Runtime
from entrypoints.http.client_address import ClientAddress, client_of
from entrypoints.http.errors import ApiError
from entrypoints.http.scopes import ScopeTable
from ports.audit import AuditRecord

access_log = logging.getLogger("hostprovider.access")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
SESSION_COOKIE = "session"
CSRF_COOKIE = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class RequestContext:
    """A request id on every request (the client's, if sane) and one JSON access-log line each."""

    def __init__(self, max_body_bytes: int, client_address: ClientAddress | None = None) -> None:
        self.max_body_bytes = max_body_bytes
        self.client_address = client_address or ClientAddress()

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        given = req.get_header("X-Request-Id") or ""
        # 32 random hex digits, as uuid4().hex was, at a third of its cost
        req.context.request_id = given if _REQUEST_ID.match(given) else os.urandom(16).hex()
        req.context.started = time.perf_counter()
        req.context.max_body_bytes = self.max_body_bytes
        req.context.actor = None
        req.context.client_address = self.client_address(req)
        resp.set_header("X-Request-Id", req.context.request_id)

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: Any, req_succeeded: bool
    ) -> None:
        actor: Actor | None = req.context.get("actor")
        started = req.context.get("started")
        status = resp.status
        # A dict, not a JSON string: the log formatter writes the line once (entrypoints/logs.py).
        access_log.info(
            {
                "request_id": req.context.get("request_id"),
                "method": req.method,
                "path": req.path,
                "status": int(status.split()[0]) if isinstance(status, str) else int(status),
                "duration_ms": round((time.perf_counter() - started) * 1000, 2)
                if started is not None
                else 0.0,
                "actor": actor.account_id if actor else None,
                "remote": req.remote_addr,
                "client": client_of(req),
            }
        )


class TokenBucket:
    """Per-key token buckets in this process: `capacity` requests, refilled over `per_seconds`."""

    def __init__(self, capacity: int, per_seconds: float) -> None:
        self.capacity, self.rate = capacity, capacity / per_seconds
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> tuple[bool, int, float]:
        """(allowed, remaining, seconds until one more is allowed)."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.capacity), now))
            tokens = min(float(self.capacity), tokens + (now - last) * self.rate)
            allowed = tokens >= 1
            if allowed:
                tokens -= 1
            self._buckets[key] = (tokens, now)
            if len(self._buckets) > 100_000:  # forget idle clients rather than grow without bound
                self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < 3600}
        wait = 0.0 if tokens >= 1 else (1 - tokens) / self.rate
        return allowed, int(tokens), wait


class RateLimit:
    """Limits every client by address; the headers are on every response."""

    def __init__(self, bucket: TokenBucket) -> None:
        self.bucket = bucket

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        # Keyed by address and run before anything else, so that even a 401 or a 404 is counted
        # and carries the headers.
        key = f"addr:{client_of(req)}"
        allowed, remaining, wait = self.bucket.take(key)
        resp.set_header("X-RateLimit-Limit", str(self.bucket.capacity))
        resp.set_header("X-RateLimit-Remaining", str(remaining))
        resp.set_header("X-RateLimit-Reset", str(int(wait + 0.999)))
        if not allowed:
            retry = str(max(1, int(wait + 0.999)))
            raise ApiError(
                falcon.HTTP_429,
                "rate_limited",
                "too many requests; slow down",
                headers={"Retry-After": retry},
                retryAfter=int(retry),
            )


def csrf_token(secret: str, key: bytes) -> str:
    """The CSRF token bound to a session: an HMAC, so nothing needs storing."""
    return hmac.new(key, f"csrf:{secret}".encode(), hashlib.sha256).hexdigest()[:40]


class Authentication:
    """Finds the actor from `Authorization: Bearer` or the session cookie.

    Each resource says who may call it with `auth = "public" | "optional" | "customer" | "admin"`.
    A cookie-authenticated unsafe request must also carry the session's CSRF token in a header:
    a cross-site form can send the cookie but can neither read nor send the token. A personal
    access token must also hold the scope the route table gives the operation (`scopes`)."""

    def __init__(self, runtime: Runtime, scopes: ScopeTable | None = None) -> None:
        self.runtime = runtime
        self.scopes = scopes or ScopeTable({})

    def process_resource(
        self, req: falcon.Request, resp: falcon.Response, resource: Any, params: dict
    ) -> None:
        if resource is None:
            return
        need = getattr(resource, "auth", "customer")
        if need == "public":
            return
        header = req.get_header("Authorization")
        cookies = req.get_cookie_values(SESSION_COOKIE)
        cookie = cookies[0] if cookies else None
        if header is None and cookie is None:
            if need == "optional":
                return
            raise AuthenticationFailed("log in, or send Authorization: Bearer <token>")
        if header is not None:
            scheme, _, secret = header.partition(" ")
            if scheme.lower() != "bearer" or not secret.strip():
                raise AuthenticationFailed("use Authorization: Bearer <token>")
            actor = authenticate(self.runtime, secret.strip())
        else:
            actor = authenticate(self.runtime, cookie or "")
            if req.method in UNSAFE:
                sent = req.get_header(CSRF_HEADER) or ""
                expected = csrf_token(cookie or "", self.runtime.policy.csrf_key)
                if not hmac.compare_digest(sent, expected):
                    raise ApiError(
                        falcon.HTTP_403,
                        "csrf_failed",
                        f"a cookie session needs the {CSRF_HEADER} header from login",
                    )
        req.context.actor = actor
        if need == "admin":
            actor.require_admin()
        needed = self.scopes.needed(req.uri_template or "", req.method)
        if needed is not None:
            require_scope(actor.scopes, needed)  # 403 insufficient_scope, naming it


class Audit:
    """One audit record for every state-changing call: who, what, and how it ended."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: Any, req_succeeded: bool
    ) -> None:
        if req.method not in UNSAFE or resource is None:
            return
        status = resp.status if isinstance(resp.status, str) else str(resp.status)
        if status.startswith("503"):
            # Nothing changed, and the store is likely what is down: writing the record would
            # only hold the answer up by another wait for a connection.
            return
        actor: Actor | None = req.context.get("actor")
        record = AuditRecord(
            at=self.runtime.clock.now(),
            actor_id=actor.account_id if actor else None,
            action=f"http.{req.method.lower()}",
            target=req.path,
            result=status.split()[0],
            details=(("request_id", str(req.context.get("request_id"))),),
        )
        try:
            with self.runtime.uow() as uow:
                uow.audit.record(record)
                uow.commit()
        except DomainError:
            logging.getLogger("hostprovider.http").exception("audit record lost for %s", req.path)
