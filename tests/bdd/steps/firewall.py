"""A server's firewall: the rules a customer sets, and what the firewall then holds.

A rule in a table is `protocol | ports | from | description`: ports empty (icmp), one port or
`low-high`; from `anyone` or an address or network.
"""

from __future__ import annotations

from pytest_bdd import parsers, then, when

from domain.model.action import ActionCommand, ActionStatus
from domain.model.commands import ReplaceFirewall
from domain.model.firewall import RuleRequest
from domain.model.network import DEFAULT_INBOUND, FirewallRule
from domain.usecases import firewall, servers

from .common import NAME, Outcome, Shop, attempt, code_of

SERVER = r'"(?P<server>[^"]+)"'
PORTS = r"(?P<protocol>tcp|udp) ports? (?P<ports>\d+(?:-\d+)?)"
FROM = r'from (?:anyone|"(?P<source>[^"]+)")'
ANYONE = "0.0.0.0/0"


def _ports(text: str) -> tuple[int | None, int | None]:
    if not text:
        return None, None
    low, _, high = text.partition("-")
    return int(low), int(high or low)


def _requests(datatable: list[list[str]]) -> list[RuleRequest]:
    header, *rows = datatable
    assert header == ["protocol", "ports", "from", "description"], header
    requests = []
    for protocol, ports, source, description in rows:
        low, high = _ports(ports)
        requests.append(
            RuleRequest(protocol, low, high, None if source == "anyone" else source, description)
        )
    return requests


def _expected(datatable: list[list[str]]) -> tuple[FirewallRule, ...]:
    return tuple(
        FirewallRule(
            str(r.protocol),
            r.from_port,  # type: ignore[arg-type]
            r.to_port,  # type: ignore[arg-type]
            ANYONE if r.source is None else str(r.source),
            str(r.description),
        )
        for r in _requests(datatable)
    )


def _replace(shop: Shop, name: str, server: str, rules: list[RuleRequest]) -> Outcome:
    actor = shop.customer(name).actor
    return attempt(
        lambda: firewall.replace_firewall(
            shop.rt, actor, ReplaceFirewall(shop.server_id(server), rules)
        )
    )


# --- changing the rules --------------------------------------------------------------------------


@when(
    parsers.re(rf"^{NAME} sets the firewall of {SERVER} to:$"),
    target_fixture="outcome",
)
def _sets(shop: Shop, name: str, server: str, datatable: list[list[str]]) -> Outcome:
    return _replace(shop, name, server, _requests(datatable))


@when(
    parsers.re(rf"^{NAME} sets the firewall of {SERVER} to let nothing in$"),
    target_fixture="outcome",
)
def _sets_nothing(shop: Shop, name: str, server: str) -> Outcome:
    return _replace(shop, name, server, [])


@when(
    parsers.re(rf"^{NAME} sets the firewall of {SERVER} to (?P<count>\d+) rules$"),
    target_fixture="outcome",
)
def _sets_many(shop: Shop, name: str, server: str, count: str) -> Outcome:
    return _replace(shop, name, server, [RuleRequest("tcp", 10_000 + n) for n in range(int(count))])


@when(
    parsers.re(rf"^{NAME} lets {PORTS} into {SERVER} {FROM}$"),
    target_fixture="outcome",
)
def _lets_in(
    shop: Shop, name: str, protocol: str, ports: str, server: str, source: str | None
) -> Outcome:
    low, high = _ports(ports)
    return _replace(shop, name, server, [RuleRequest(protocol, low, high, source)])


# --- the outcome ---------------------------------------------------------------------------------


def _last_change(shop: Shop, server: str):  # type: ignore[no-untyped-def]
    found = shop.server(server)
    changes = [
        a
        for a in servers.server_actions(shop.rt, shop.admin, found.id)
        if a.command is ActionCommand.CHANGE_FIREWALL
    ]
    assert changes, f"no firewall change on {server}"
    return changes[0]  # newest first


@then(parsers.re(rf"^the firewall change of {SERVER} succeeded$"))
def _change_succeeded(shop: Shop, server: str) -> None:
    action = _last_change(shop, server)
    assert action.status is ActionStatus.SUCCESS, action.error


@then(parsers.re(rf"^the firewall change of {SERVER} ended in error as (?P<words>[a-z ]+)$"))
def _change_failed(shop: Shop, server: str, words: str) -> None:
    action = _last_change(shop, server)
    assert action.status is ActionStatus.ERROR
    assert action.error is not None and action.error.code == code_of(words), action.error


def _holds(shop: Shop, server: str, rules: tuple[FirewallRule, ...]) -> None:
    """Staged and live alike: a change half made would show as a difference between the two."""
    found = shop.server(server)
    staged = shop.fabric.state(found.location_id).rules.get(found.id)
    live = shop.fabric.live_state(found.location_id).rules.get(found.id)
    assert (staged, live) == (rules, rules)


@then(parsers.re(rf"^the firewall lets into {SERVER} exactly:$"))
def _lets_exactly(shop: Shop, server: str, datatable: list[list[str]]) -> None:
    _holds(shop, server, _expected(datatable))


@then(parsers.re(rf"^the firewall lets nothing into {SERVER}$"))
def _lets_nothing(shop: Shop, server: str) -> None:
    _holds(shop, server, ())


@then(parsers.re(rf"^the firewall still lets ssh, http and https into {SERVER}$"))
def _still_default(shop: Shop, server: str) -> None:
    _holds(shop, server, DEFAULT_INBOUND)


@then(
    parsers.re(
        rf"^{NAME} sees the rules of {SERVER} as "
        r"(?P<whose>the provider's default|her own), (?P<state>applied|not applied yet)$"
    )
)
def _sees(shop: Shop, name: str, server: str, whose: str, state: str) -> None:
    view = firewall.server_firewall(shop.rt, shop.customer(name).actor, shop.server_id(server))
    assert view.default is (whose == "the provider's default")
    assert view.applied is (state == "applied")
