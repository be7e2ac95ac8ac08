"""A thin, typed client of the pfSense REST API v2: the envelope, the status codes, TLS, timeouts.

Every answer is `{code, status, response_id, message, data}`; this client returns `data` or raises
one of `adapters.pfsense.errors`. Reads are repeated here, since repeating them is harmless. Writes
are sent once: a 503 (the firewall did not take it) and a lost answer (it may have been taken) are
raised to the fabric, which reads the firewall again by natural key before it tries again, so a
retry never makes a second copy of a rule.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from adapters.pfsense.config import Timeouts, TlsSettings
from adapters.pfsense.errors import (
    FirewallBusy,
    FirewallConflict,
    FirewallMisconfigured,
    FirewallRefused,
    OutcomeUnknown,
)

log = logging.getLogger(__name__)

API = "/api/v2"
LOST_ANSWER = (502, 504)  # the front proxy gave up: the firewall may have done the work
READ_ATTEMPTS = 4
DEFAULT_RETRY_AFTER = 1.0
PLAIN = TlsSettings()
DEFAULT_TIMEOUTS = Timeouts()


class _PinnedAdapter(HTTPAdapter):
    """Accepts exactly the certificate with this SHA-256 fingerprint (urllib3 checks it during
    the handshake), for a firewall with a self-signed certificate."""

    def __init__(self, fingerprint: str) -> None:
        self._fingerprint = fingerprint.replace(":", "").lower()
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["assert_fingerprint"] = self._fingerprint
        super().init_poolmanager(*args, **kwargs)


class PfSenseClient:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        tls: TlsSettings = PLAIN,
        timeouts: Timeouts = DEFAULT_TIMEOUTS,
        sleep: Callable[[float], None] = time.sleep,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._timeout = (timeouts.connect, timeouts.read)
        self._sleep = sleep
        self._session = session or requests.Session()
        self._session.headers.update({"X-API-Key": api_key, "Accept": "application/json"})
        # Given with every request: requests lets REQUESTS_CA_BUNDLE override `session.verify`.
        self._verify: bool | str = True
        if tls.fingerprint_sha256:
            self._verify = False  # the pin replaces the CA chain check
            self._session.mount("https://", _PinnedAdapter(tls.fingerprint_sha256))
        elif tls.ca_file:
            self._verify = tls.ca_file

    def close(self) -> None:
        self._session.close()

    # --- reads: safe to repeat -------------------------------------------------------------------
    def get(self, path: str, _attempts: int | None = None, **query: Any) -> Any:
        """GET `path` (under /api/v2) with query filters such as `descr__startswith=...`;
        `_attempts` (default READ_ATTEMPTS) bounds the tries of a busy or silent firewall."""
        attempts = _attempts or READ_ATTEMPTS
        for attempt in range(1, attempts + 1):
            try:
                return self._send("GET", path, params=_query(query))
            except FirewallBusy as busy:
                if attempt == attempts:
                    raise
                self._sleep(busy.retry_after)
            except OutcomeUnknown:
                if attempt == attempts:
                    raise
                self._sleep(float(attempt))
        raise AssertionError("unreachable")

    # --- writes: sent once -----------------------------------------------------------------------
    def post(self, path: str, body: Mapping[str, Any]) -> Any:
        return self._send("POST", path, json=dict(body))

    def patch(self, path: str, body: Mapping[str, Any]) -> Any:
        return self._send("PATCH", path, json=dict(body))

    def delete(self, path: str, **query: Any) -> Any:
        return self._send("DELETE", path, params=_query(query))

    # --- the wire --------------------------------------------------------------------------------
    def _send(self, method: str, path: str, **kwargs: Any) -> Any:
        url = f"{self.base_url}{API}{path}"
        try:
            response = self._session.request(
                method, url, timeout=self._timeout, verify=self._verify, **kwargs
            )
        except requests.exceptions.SSLError as ex:
            # a certificate that fails the CA or the pin: the operator must look, retrying won't
            log.critical("pfSense at %s fails TLS verification: %s", self.base_url, ex)
            raise FirewallMisconfigured(
                f"{method} {path}: the firewall's certificate fails verification ({ex})",
                status=0,
                response_id="TLS_VERIFICATION_FAILED",
            ) from ex
        except (requests.ConnectionError, requests.Timeout) as ex:
            # Covers a refused connection too: then nothing was written, but the caller re-reads
            # before writing again in every case, which is cheap and always right.
            raise OutcomeUnknown(f"{method} {path}: no answer from the firewall ({ex})") from ex
        return _unwrap(method, path, response)


def _query(query: Mapping[str, Any]) -> dict[str, str]:
    """Form-encoded query values: booleans as the API spells them."""
    return {
        k: ("true" if v is True else "false" if v is False else str(v)) for k, v in query.items()
    }


def _unwrap(method: str, path: str, response: requests.Response) -> Any:
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        body = {}
    response_id = str(body.get("response_id", ""))
    message = str(body.get("message", "")) or response.reason or ""
    if 200 <= status < 300:
        if "data" not in body:
            raise FirewallRefused(
                f"{method} {path}: the answer is not the API's envelope",
                status=status,
                response_id=response_id,
            )
        return body["data"]
    what = f"{method} {path}: {status} {response_id or 'no response id'}: {message}"
    if status == 503:
        return _busy(what, response, response_id)
    if status in LOST_ANSWER:
        raise OutcomeUnknown(what, status=status)
    if status in (401, 403):
        # a 401 with a right key: KeyAuth is off (the package's default is BasicAuth alone)
        log.critical(
            "pfSense rejects our credentials or privileges, fix its settings (API keys need "
            "KeyAuth in System > REST API > Settings): %s",
            what,
        )
        raise FirewallMisconfigured(what, status=status, response_id=response_id)
    if status == 409:
        raise FirewallConflict(what, response_id=response_id, data=body.get("data"))
    raise FirewallRefused(what, status=status, response_id=response_id)


def _busy(what: str, response: requests.Response, response_id: str) -> Any:
    header = response.headers.get("Retry-After", "")
    try:
        retry_after = max(0.0, float(header))
    except ValueError:
        retry_after = DEFAULT_RETRY_AFTER  # absent, or an HTTP date the API does not send
    raise FirewallBusy(what, retry_after=retry_after, response_id=response_id)
