"""The warm pool and the guest reconciler, as the scheduler runs them."""

from __future__ import annotations

import datetime as dt

from pytest_bdd import given, parsers, then, when

from domain.model.warm_pool import CLAIMED_STEP, PooledGuest, PoolState
from domain.usecases.reconcile import reconcile_guests
from domain.usecases.warm_pool import refill_warm_pool

from .common import Shop, open_shop
from .servers import CITY, SERVER

COUNT = r"(?P<count>\d+)"


def ready_guests(shop: Shop, location_id: int) -> list[PooledGuest]:
    with shop.rt.uow() as uow:
        return [g for g in uow.warm_pool.in_location(location_id) if g.state is PoolState.READY]


@given(
    parsers.re(rf'^the provider keeps {COUNT} ready "(?P<os>[^"]+)" guests in {CITY}$'),
    target_fixture="shop",
)
def _keeps(count: str, os: str, city: str) -> Shop:
    plain = open_shop()  # the same shop as every other feature, to read its catalogue
    pool = ((plain.location(city).id, plain.image(os).id), int(count))
    return open_shop(warm_pool=(pool,))


@given("the scheduler has filled the warm pool")
@when("the scheduler refills the warm pool")
def _refill(shop: Shop) -> None:
    report = refill_warm_pool(shop.rt)
    assert report.failed == 0, report


@then(parsers.re(rf"^the warm pool of {CITY} holds {COUNT} ready guests?$"))
def _pool_holds(shop: Shop, city: str, count: str) -> None:
    assert len(ready_guests(shop, shop.location(city).id)) == int(count)


@then(parsers.re(rf"^the server {SERVER} runs on a guest taken from the warm pool$"))
def _from_pool(shop: Shop, server: str) -> None:
    found = shop.server(server)
    assert CLAIMED_STEP in found.saga_steps
    guest = shop.hypervisor.find_guest(found.placement.vmid)
    assert guest is not None and guest.name == server
    assert ("reconfigure", found.placement.vmid) in shop.hypervisor.call_log


@then(parsers.re(rf"^the guest taken from the warm pool for {SERVER} is gone from the hypervisor$"))
def _taken_guest_gone(shop: Shop, server: str) -> None:
    vmid = shop.server(server).placement.vmid
    # The saga took a pooled guest (it reconfigured it) before failing, and then destroyed it.
    assert ("reconfigure", vmid) in shop.hypervisor.call_log
    assert shop.hypervisor.find_guest(vmid) is None
    assert not shop.hypervisor.running_tasks()


@given(parsers.re(rf"^the guest of {SERVER} has disappeared from the hypervisor$"))
def _disappeared(shop: Shop, server: str) -> None:
    shop.hypervisor.remove_guest(shop.server(server).placement.vmid)


@when(
    parsers.re(
        r"^the scheduler compares the servers with the hypervisor (?P<minutes>\d+) minutes later$"
    )
)
def _reconcile_later(shop: Shop, minutes: str) -> None:
    shop.clock.advance(dt.timedelta(minutes=int(minutes)).total_seconds())
    report = reconcile_guests(shop.rt)
    assert report.errors == [], report
