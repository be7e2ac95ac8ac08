"""Who the client is, for every rate limit and throttle: the peer's address, or, behind proxies we
trust, the address the nearest of them saw.

X-Forwarded-For is a list each proxy appends its own peer to, and anyone can send one with lies on
its left end. So it is read from the right: while the hop is one of our trusted proxies, the
address before it is what that proxy saw; the first hop that is not a trusted proxy is the client.
A peer that is not a trusted proxy is the client whatever it sends. Configured by
HOSTPROVIDER_TRUSTED_PROXIES (CIDRs, comma-separated); empty trusts nobody.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable

import falcon

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_networks(cidrs: Iterable[str]) -> tuple[Network, ...]:
    """The networks named, or ValueError naming the one that is not a CIDR or an address."""
    networks = []
    for text in cidrs:
        try:
            networks.append(ipaddress.ip_network(text.strip(), strict=False))
        except ValueError:
            raise ValueError(f"{text.strip()!r} is not a CIDR such as 10.0.0.0/8") from None
    return tuple(networks)


@functools.lru_cache(maxsize=65536)  # clients come back: parse each address once
def _address(text: str) -> Address | None:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    # An IPv4 client seen over an IPv6 socket is the same client as over IPv4.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@functools.lru_cache(maxsize=65536)
def _text(address: Address) -> str:
    return str(address)


class ClientAddress:
    """`client(req)`: the client's address as text, for keys of limits and for the access log."""

    def __init__(self, trusted_proxies: Iterable[str] = ()) -> None:
        self.trusted = parse_networks(trusted_proxies)

    def _is_trusted(self, address: Address) -> bool:
        return any(address in network for network in self.trusted)

    def __call__(self, req: falcon.Request) -> str:
        return self.resolve(req.remote_addr or "", req.get_header("X-Forwarded-For") or "")

    def resolve(self, remote_addr: str, forwarded: str) -> str:
        """The client from the peer's address and the X-Forwarded-For header (any protocol)."""
        peer = _address(remote_addr)
        if peer is None:
            return remote_addr or "unknown"
        if not self.trusted or not self._is_trusted(peer):
            return _text(peer)
        client = peer
        for hop in reversed(forwarded.split(",")):
            address = _address(hop)
            if address is None:
                break  # garbage: nothing to its left can be trusted; the last good hop is it
            client = address
            if not self._is_trusted(address):
                break
        return str(client)


def client_of(req: falcon.Request) -> str:
    """The address RequestContext found for this request (the peer's, if it ran no resolver)."""
    return str(req.context.get("client_address") or req.remote_addr or "unknown")
