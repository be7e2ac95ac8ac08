"""Console links and the sessions they open (domain/usecases/console.py)."""

from __future__ import annotations

from typing import Any

from pytest_bdd import given, parsers, then, when

from domain.model.accounts import token_digest
from domain.model.server_commands import OpenConsole
from domain.usecases import console
from ports.audit import AuditQuery
from ports.paging import Page

from .common import NAME, Outcome, Shop, attempt
from .servers import SERVER, guest_of

CLIENT = "203.0.113.7"


def _secret(url: str) -> str:
    return url.rsplit("/console/", 1)[1]


@when(parsers.re(rf"^{NAME} opens the console of {SERVER}$"), target_fixture="outcome")
def _open(shop: Shop, name: str, server: str) -> Outcome:
    return attempt(
        lambda: console.open_console(
            shop.rt, shop.customer(name).actor, OpenConsole(server_id=shop.server(server).id)
        )
    )


@given(parsers.re(rf"^{NAME} has a console link to {SERVER}$"), target_fixture="outcome")
def _has_link(shop: Shop, name: str, server: str) -> Outcome:
    outcome = _open(shop, name, server)
    assert outcome.accepted
    return outcome


@given(parsers.re(rf"^{NAME} has opened a console session of {SERVER}$"), target_fixture="session")
def _has_session(shop: Shop, name: str, server: str) -> dict[str, Any]:
    url, _ = _has_link(shop, name, server).value
    grant = console.start_console(shop.rt, _secret(url), CLIENT)
    return {"url": url, "grant": grant}


@then(parsers.re(rf"^she gets a one-time console link to {SERVER}$"))
def _link(shop: Shop, outcome: Outcome, server: str) -> None:
    url, link = outcome.value
    assert url.startswith(shop.rt.policy.public_url + "/console/")
    assert link.server_id == shop.server(server).id and link.digest == token_digest(_secret(url))
    assert _secret(url) not in repr(link)


@then(parsers.re(rf"^the link opens a console session of the guest of {SERVER}$"))
def _session(shop: Shop, outcome: Outcome, server: str) -> None:
    url, _ = outcome.value
    grant = console.start_console(shop.rt, _secret(url), CLIENT)
    guest = guest_of(shop, server)
    assert (grant.node, grant.vmid) == (guest.node, guest.vmid)
    assert grant.os_name == "Ubuntu 24.04" and grant.hostname == shop.server(server).name


@then(parsers.re(rf"^the audit log shows the console of {SERVER} opened$"))
def _audited(shop: Shop, server: str) -> None:
    target = f"server:{shop.server(server).id}"
    with shop.rt.uow() as uow:
        records, _ = uow.audit.search(AuditQuery(target=target), Page())
    assert "server.console_open" in [r.action for r in records]


@when("the same link is opened again", target_fixture="outcome")
def _again(shop: Shop, session: dict[str, Any]) -> Outcome:
    return attempt(lambda: console.start_console(shop.rt, _secret(session["url"]), CLIENT))


@when("the link is opened", target_fixture="outcome")
def _opened(shop: Shop, outcome: Outcome | None = None) -> Outcome:
    url = outcome.value[0] if outcome is not None and outcome.accepted else "/console/made-up"
    return attempt(lambda: console.start_console(shop.rt, _secret(url), CLIENT))


@then(parsers.re(rf"^the console session of {SERVER} may not go on$"))
def _ended(shop: Shop, session: dict[str, Any], server: str) -> None:
    assert not console.console_allowed(shop.rt, session["grant"])


@when(parsers.re(r"^(?P<count>\d+) made-up console links are opened from one address$"))
def _guesses(shop: Shop, count: str) -> None:
    for n in range(int(count)):
        outcome = attempt(lambda n=n: console.start_console(shop.rt, f"guess-{n}", CLIENT))
        assert outcome.error is not None and outcome.error.code == "link_not_found"
