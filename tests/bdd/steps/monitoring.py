"""Resource figures of guests, the monitoring pass, and the alerts it raises."""

from __future__ import annotations

import re

from pytest_bdd import given, parsers, then, when

from domain.usecases.monitoring import monitoring_pass

from .common import Shop
from .servers import guest_of

SERVER = r'"(?P<server>[^"]+)"'
MIB = 1024 * 1024
GIB = 1024 * MIB


def set_cpu(shop: Shop, server: str, percent: int) -> None:
    shop.hypervisor.set_usage(guest_of(shop, server).vmid, cpu=percent / 100)


def share(total: int, percent: int) -> int:
    """The smallest amount that is `percent` of `total` in whole percent."""
    return -(-total * percent // 100)


@given(parsers.re(rf"^the CPU of {SERVER} is at (?P<percent>\d+)%$"))
def _cpu_at(shop: Shop, server: str, percent: str) -> None:
    set_cpu(shop, server, int(percent))


@when(parsers.re(rf"^the CPU of {SERVER} drops to (?P<percent>\d+)%$"))
def _cpu_drops(shop: Shop, server: str, percent: str) -> None:
    set_cpu(shop, server, int(percent))


@given(parsers.re(rf"^the memory of {SERVER} is (?P<percent>\d+)% used$"))
def _memory_used(shop: Shop, server: str, percent: str) -> None:
    guest = guest_of(shop, server)
    shop.hypervisor.set_usage(guest.vmid, memory_used=share(guest.memory_mib * MIB, int(percent)))


@given(parsers.re(rf"^the disk of {SERVER} is (?P<percent>\d+)% used$"))
def _disk_used(shop: Shop, server: str, percent: str) -> None:
    guest = guest_of(shop, server)
    shop.hypervisor.set_usage(guest.vmid, disk_used=share(guest.disk_gib * GIB, int(percent)))


@given("the monitoring pass runs")
@when("the monitoring pass runs")
def _pass(shop: Shop) -> None:
    monitoring_pass(shop.rt)


@when(parsers.re(r"^the monitoring pass runs (?P<times>\d+) times$"))
def _passes(shop: Shop, times: str) -> None:
    for _ in range(int(times)):
        monitoring_pass(shop.rt)
        shop.clock.advance(30)


@when(parsers.re(rf"^the CPU of {SERVER} reads (?P<figures>.+) on successive passes$"))
def _cpu_series(shop: Shop, server: str, figures: str) -> None:
    for percent in re.findall(r"(\d+)%", figures):
        set_cpu(shop, server, int(percent))
        monitoring_pass(shop.rt)
        shop.clock.advance(30)


@then(parsers.re(rf"^an alert for the (?P<metric>cpu|memory|disk) of {SERVER} is published live$"))
def _published(shop: Shop, metric: str, server: str) -> None:
    server_id = shop.server_id(server)
    alerts = [
        a
        for payload in shop.events.on("server-alerts")
        if payload["serverId"] == server_id
        for a in payload["alerts"]
    ]
    assert {"type": metric, "event": "raised"} in [
        {k: a[k] for k in ("type", "event")} for a in alerts
    ], alerts
