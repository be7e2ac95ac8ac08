"""Which address a request is counted under: the peer, or behind trusted proxies the right-most
forwarded hop that is not one of them (entrypoints/http/client_address.py)."""

from __future__ import annotations

import pytest
from falcon import testing

from entrypoints.http.client_address import ClientAddress, parse_networks


def _client(resolver: ClientAddress, peer: str, forwarded: str | None = None) -> str:
    headers = {"X-Forwarded-For": forwarded} if forwarded is not None else {}
    req = testing.create_req(remote_addr=peer, headers=headers)
    return resolver(req)


PROXIES = ClientAddress(["10.0.0.0/8", "2001:db8::/32"])


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("198.51.100.7", None, "198.51.100.7"),
        ("198.51.100.7", "203.0.113.1", "198.51.100.7"),  # not our proxy: its header is a lie
        ("10.0.0.2", None, "10.0.0.2"),
        ("10.0.0.2", "203.0.113.1", "203.0.113.1"),
        ("10.0.0.2", "203.0.113.1, 10.1.1.1", "203.0.113.1"),  # two proxies of ours
        ("10.0.0.2", "1.2.3.4, 203.0.113.1", "203.0.113.1"),  # the left end is the client's say
        ("10.0.0.2", "10.0.0.3, 10.0.0.4", "10.0.0.3"),  # only proxies: the farthest one
        ("10.0.0.2", "garbage, 203.0.113.1", "203.0.113.1"),
        ("10.0.0.2", "203.0.113.1, not-an-address", "10.0.0.2"),  # garbage from our side: stop
        ("10.0.0.2", "2001:db8::5, 2001:db9::1", "2001:db9::1"),
        ("::ffff:10.0.0.2", "203.0.113.1", "203.0.113.1"),  # IPv4 over an IPv6 socket
    ],
)
def test_the_client_is_the_right_most_untrusted_hop(peer: str, forwarded: str, client: str):
    assert _client(PROXIES, peer, forwarded) == client


def test_with_no_trusted_proxies_the_peer_is_the_client():
    assert _client(ClientAddress(), "10.0.0.2", "203.0.113.1") == "10.0.0.2"


def test_a_bad_cidr_is_refused_naming_it():
    with pytest.raises(ValueError, match="nonsense"):
        parse_networks(["10.0.0.0/8", "nonsense"])
