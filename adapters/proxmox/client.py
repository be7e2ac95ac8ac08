"""A small typed client for the Proxmox VE API (`/api2/json`) on one requests Session per cluster.

- Auth with an API token header (no CSRF token is needed with tokens).
- Bodies are form-encoded; booleans go as 1/0 because PVE rejects "True".
- Replies are unwrapped from the `{"data": ...}` envelope; failures become domain errors
  (errors.py), with any password sent in the request scrubbed from the text.
- Reads are retried with backoff when the cluster is unreachable; writes are not (a write that
  timed out may have happened), except when PVE refused them because the guest was locked, which
  is safe to repeat.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter

from adapters.proxmox.config import ProxmoxConnection, RetryPolicy
from adapters.proxmox.errors import classify, is_lock_error
from domain.model.errors import DomainError, ExternalFailure, Locked, Unavailable

log = logging.getLogger(__name__)

# Parameters whose values must never reach a log line or an error message.
SECRET_PARAMETERS = frozenset({"password", "cipassword"})


class FingerprintPinningAdapter(HTTPAdapter):
    """Trusts exactly the certificate whose SHA-256 fingerprint is pinned (PVE's self-signed
    node certificate), instead of a CA chain and host name. urllib3 compares the peer's DER
    certificate with the pin right after the handshake and refuses the connection otherwise."""

    def __init__(self, fingerprint_sha256: str, **kwargs: Any) -> None:
        digest = fingerprint_sha256.replace(":", "").strip().lower()
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise ValueError("a SHA-256 certificate fingerprint has 64 hex digits")
        self._fingerprint = digest
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["assert_fingerprint"] = self._fingerprint
        super().init_poolmanager(*args, **kwargs)

    def build_connection_pool_key_attributes(
        self, request: requests.PreparedRequest, verify: Any, cert: Any = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        # The chain check is replaced by the pin, whatever `verify` the session carries.
        return super().build_connection_pool_key_attributes(request, False, cert)

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        super().cert_verify(conn, url, False, cert)


def build_session(connection: ProxmoxConnection) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = (
        f"PVEAPIToken={connection.token_id}={connection.token_secret}"
    )
    session.headers["Accept"] = "application/json"
    # Only what the connection says counts: no CA bundle or proxy from the environment, no netrc
    # credentials replacing the token header.
    session.trust_env = False
    if connection.fingerprint_sha256:
        session.mount("https://", FingerprintPinningAdapter(connection.fingerprint_sha256))
        session.verify = False
    elif connection.ca_file:
        session.verify = connection.ca_file
    return session


def encode(params: Mapping[str, object]) -> dict[str, str]:
    """PVE's wire form: None left out, booleans as 1/0, everything else as text."""
    encoded: dict[str, str] = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            encoded[key] = "1" if value else "0"
        else:
            encoded[key] = str(value)
    return encoded


def api_path(*segments: object) -> str:
    """`/nodes/pve1/lxc/100` from its parts; node names, vmids and UPIDs go raw except for what
    a path cannot carry."""
    return "/" + "/".join(quote(str(s), safe=":@!=") for s in segments)


class ProxmoxClient:
    def __init__(
        self,
        connection: ProxmoxConnection,
        *,
        sleep: Callable[[float], None] = time.sleep,
        retry: RetryPolicy | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.connection = connection
        self._base = connection.url.rstrip("/") + "/api2/json"
        self._session = session if session is not None else build_session(connection)
        self._sleep = sleep
        self._retry = retry or RetryPolicy()
        self._timeout = (connection.connect_timeout, connection.read_timeout)

    def get(self, path: str, **params: object) -> Any:
        return self.call("GET", path, params)

    def post(self, path: str, **params: object) -> Any:
        return self.call("POST", path, params)

    def put(self, path: str, **params: object) -> Any:
        return self.call("PUT", path, params)

    def delete(self, path: str, **params: object) -> Any:
        return self.call("DELETE", path, params)

    def close(self) -> None:
        self._session.close()

    def call(self, method: str, path: str, params: Mapping[str, object]) -> Any:
        read = method == "GET"
        transient_delays = iter(self._retry.delays(self._retry.read_attempts) if read else [])
        lock_delays = iter(self._retry.delays(self._retry.lock_attempts))
        while True:
            try:
                return self._once(method, path, params)
            except Unavailable:
                delay = next(transient_delays, None)
                if delay is None:
                    raise
            except Locked as locked:
                # Only PVE's own lock refusals are repeated; the request did nothing.
                delay = next(lock_delays, None)
                if delay is None or not is_lock_error(locked.message):
                    raise
            log.info("proxmox %s %s: retrying in %.1f s", method, path, delay)
            self._sleep(delay)

    def _once(self, method: str, path: str, params: Mapping[str, object]) -> Any:
        wire = encode(params)
        where = f"{method} {path}"
        body_method = method in ("POST", "PUT")
        try:
            response = self._session.request(
                method,
                self._base + path,
                params=None if body_method else wire,
                data=wire if body_method else None,
                timeout=self._timeout,
            )
        except requests.exceptions.SSLError as error:
            # A certificate that does not match stays so: not worth repeating.
            raise ExternalFailure(
                f"proxmox TLS verification failed ({where}): {type(error).__name__}",
                tls=True,
            ) from None
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as error:
            raise Unavailable(f"proxmox did not answer ({where}): {type(error).__name__}") from None
        log.debug("proxmox %s -> %s", where, response.status_code)
        payload = _json(response)
        if response.status_code == 200:
            return payload.get("data")
        message = str(payload.get("message") or response.reason or "").strip()
        errors = payload.get("errors") if isinstance(payload.get("errors"), dict) else None
        secrets = [wire[k] for k in SECRET_PARAMETERS if wire.get(k)]
        raise _scrubbed(
            classify(
                response.status_code,
                _redact(message, secrets),
                {k: _redact(str(v), secrets) for k, v in errors.items()} if errors else None,
                where=where,
            ),
            secrets,
        )


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        payload = response.json()
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}


def _redact(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "***")
    return text


def _scrubbed(error: DomainError, secrets: list[str]) -> DomainError:
    # A parameter check may quote the rejected value; the message was built from scrubbed text.
    if secrets:
        error.details = {
            k: _redact(v, secrets) if isinstance(v, str) else v for k, v in error.details.items()
        }
    return error
