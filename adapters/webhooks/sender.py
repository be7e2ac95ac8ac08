"""The webhook sender: one POST through `requests`, to an address checked just before.

Checking a name and then letting the HTTP library look it up again would leave a window in which
the name can be pointed at our own network (DNS rebinding). So the sender resolves the name once,
refuses it unless every address it has is public, and connects to the first of those addresses
itself: the URL carries the address, while the Host header, TLS's server name and the certificate
check keep the name the customer gave.

Redirects are not followed (a 3xx is an answer that is not a 2xx, so the delivery is tried again
later): following one would reach an address nobody checked.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from domain.model.webhooks import ANSWER_EXCERPT, is_public_address
from ports.webhooks import WebhookAnswer, WebhookRequest

Resolver = Callable[[str, int], list[str]]


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` has, in the order the system prefers them."""
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in found))


class _PinnedHost(HTTPAdapter):
    """Connects to the address in the URL, but speaks TLS to (and checks the certificate of)
    the name the customer gave."""

    def __init__(self, hostname: str) -> None:
        self._hostname = hostname
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["server_hostname"] = self._hostname
        kwargs["assert_hostname"] = self._hostname
        super().init_poolmanager(*args, **kwargs)


class HttpWebhookSender:
    def __init__(
        self,
        *,
        resolver: Resolver = resolve,
        connect_timeout: float = 5.0,
        read_timeout: float = 10.0,
        verify: bool | str = True,  # a CA bundle's path in tests
    ) -> None:
        self._resolve = resolver
        self._timeout = (connect_timeout, read_timeout)
        self._verify = verify

    def send(self, request: WebhookRequest, *, allow_private: bool) -> WebhookAnswer:
        target = request.target
        try:
            addresses = self._resolve(target.host, target.port)
        except OSError as ex:
            return WebhookAnswer(None, f"{target.host} could not be resolved: {ex}")
        if not addresses:
            return WebhookAnswer(None, f"{target.host} has no address")
        if not allow_private:
            private = [a for a in addresses if not is_public_address(a)]
            if private:
                return WebhookAnswer(
                    None, f"not sent: {target.host} resolves to a non-public address ({private[0]})"
                )
        address = addresses[0]
        shown = f"[{address}]" if ipaddress.ip_address(address).version == 6 else address
        url = _with_host(target.url, target.host, shown)
        default_port = 443 if target.scheme == "https" else 80
        host_header = target.host if target.port == default_port else f"{target.host}:{target.port}"
        with requests.Session() as session:
            session.trust_env = False  # no proxy from the environment: we chose the address
            session.mount(f"{target.scheme}://", _PinnedHost(target.host))
            try:
                answer = session.post(
                    url,
                    data=request.body,
                    headers={**request.headers, "Host": host_header},
                    timeout=self._timeout,
                    allow_redirects=False,
                    verify=self._verify,
                    stream=True,
                )
                try:
                    excerpt = answer.raw.read(ANSWER_EXCERPT * 4, decode_content=True)
                finally:
                    answer.close()
            except requests.RequestException as ex:
                return WebhookAnswer(None, f"no answer: {type(ex).__name__}: {ex}"[:ANSWER_EXCERPT])
        return WebhookAnswer(answer.status_code, excerpt.decode("utf-8", "replace"))


def _with_host(url: str, host: str, address: str) -> str:
    """The URL with its host replaced by the address (the port, path and query kept)."""
    scheme, rest = url.split("://", 1)
    netloc, slash, tail = rest.partition("/")
    hostport = netloc.rsplit("@", 1)[-1]
    bracketed = f"[{host}]" if ":" in host else host
    lowered = hostport.lower()
    if not lowered.startswith(bracketed.lower()):
        raise ValueError(f"{url} does not name {host}")
    return f"{scheme}://{address}{hostport[len(bracketed) :]}{slash}{tail}"
