"""Steps about rebuilding a server and the progress its actions and their tasks tell."""

from __future__ import annotations

import datetime as dt

import pytest
from pytest_bdd import given, parsers, then, when

from domain.model.server_commands import RebuildServer
from domain.usecases.progress import ACTION_PROGRESS
from domain.usecases.rebuilding import Rebuilt, rebuild_server

from .common import NAME, Outcome, Shop, attempt, same_money

SERVER = r'"(?P<server>[^"]+)"'
RATE = r"(?P<rate>\d+\.\d+)"


@pytest.fixture
def addresses() -> dict[str, str | None]:
    """Each server's address before the scenario's When, by name."""
    return {}


@when(
    parsers.re(rf'^{NAME} rebuilds the server {SERVER} from "(?P<image>[^"]+)"$'),
    target_fixture="outcome",
)
def _rebuilds(
    shop: Shop, addresses: dict[str, str | None], name: str, server: str, image: str
) -> Outcome:
    addresses[server] = shop.server(server).placement.ip_address
    command = RebuildServer(shop.server_id(server), shop.image(image).id)
    return attempt(lambda: rebuild_server(shop.rt, shop.customer(name).actor, command))


@then(parsers.re(rf'^the server {SERVER} runs "(?P<image>[^"]+)" at the address it had$'))
def _runs(shop: Shop, addresses: dict[str, str | None], server: str, image: str) -> None:
    found = shop.server(server)
    assert found.image_id == shop.image(image).id
    assert found.placement.ip_address == addresses[server]


@then(parsers.re(rf"^the rebuild's new password is the one set on the guest of {SERVER}$"))
def _password(shop: Shop, outcome: Outcome, server: str) -> None:
    rebuilt: Rebuilt = outcome.result()
    vmid = shop.server(server).placement.vmid
    assert vmid is not None and rebuilt.root_password
    assert shop.hypervisor.password_of(vmid) == rebuilt.root_password


@then(parsers.re(r'^the rebuild named the snapshot "(?P<snap>[^"]+)" as removed$'))
def _named(outcome: Outcome, snap: str) -> None:
    rebuilt: Rebuilt = outcome.result()
    assert rebuilt.removed_snapshots == (snap,)


@then(
    parsers.re(
        rf"^the server {SERVER} costs {RATE} an hour, and (?P<later>\d+\.\d+) an hour from "
        r"(?P<date>\d{4}-\d{2}-\d{2})$"
    )
)
def _costs_then(shop: Shop, server: str, rate: str, later: str, date: str) -> None:
    meter = shop.server(server).meter
    same_money(meter.hourly, rate)
    assert meter.pending is not None, "no price waits for the next month"
    same_money(meter.pending.hourly, later)
    assert meter.pending.starts == dt.datetime.fromisoformat(date).replace(tzinfo=dt.UTC)


@then(parsers.re(rf"^the server {SERVER} costs {RATE} an hour with no change pending$"))
def _costs(shop: Shop, server: str, rate: str) -> None:
    meter = shop.server(server).meter
    same_money(meter.hourly, rate)
    assert meter.pending is None, meter.pending


def _told(shop: Shop) -> list[dict[str, object]]:
    return [payload for channel, payload in shop.events.events if channel == ACTION_PROGRESS]


@then(
    parsers.re(
        rf"^{NAME} was told the progress of the order of {SERVER} as (?P<steps>[\d, ]+) and 100$"
    )
)
def _progress(shop: Shop, name: str, server: str, steps: str) -> None:
    server_id = shop.server_id(server)
    told = [e for e in _told(shop) if e["serverId"] == server_id]
    assert all(e["ownerId"] == shop.customer(name).id for e in told)
    assert [e["progress"] for e in told] == [*map(int, steps.split(", ")), 100]


@then("the last progress told was a success")
def _last_success(shop: Shop) -> None:
    assert _told(shop)[-1]["status"] == "success"


@then("the last progress told was a success at 100")
def _last_success_at_100(shop: Shop) -> None:
    last = _told(shop)[-1]
    assert (last["status"], last["progress"]) == ("success", 100)


@given(parsers.re(r"^the hypervisor's tasks take (?P<seconds>\d+) seconds$"))
def _slow_tasks(shop: Shop, seconds: str) -> None:
    shop.hypervisor.durations = {op: float(seconds) for op in shop.hypervisor.durations}


def _rising(values: list[object]) -> list[int]:
    told = [int(str(v)) for v in values]
    assert len(told) >= 2 and told == sorted(set(told)), told
    return told


@then(
    parsers.re(
        rf"^{NAME} was told the progress of the order of {SERVER} rising between "
        r"(?P<low>\d+) and (?P<high>\d+) while its guest was made$"
    )
)
def _rising_clone(shop: Shop, name: str, server: str, low: str, high: str) -> None:
    server_id = shop.server_id(server)
    told = [e["progress"] for e in _told(shop) if e["serverId"] == server_id]
    during = told[told.index(int(low)) + 1 : told.index(int(high))]
    assert all(int(low) < p < int(high) for p in _rising(during))


@then(parsers.re(rf"^the resize of {SERVER} was told rising before its success at 100$"))
def _rising_resize(shop: Shop, server: str) -> None:
    server_id = shop.server_id(server)
    resize = [
        e for e in _told(shop) if e["serverId"] == server_id and e["command"] == "resize_server"
    ]
    assert (resize[-1]["status"], resize[-1]["progress"]) == ("success", 100)
    assert all(0 < p < 100 for p in _rising([e["progress"] for e in resize[:-1]]))
