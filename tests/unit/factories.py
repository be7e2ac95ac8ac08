"""Small builders shared by the unit tests: a catalogue with round numbers and UTC moments."""

from __future__ import annotations

import datetime as dt

from domain.model.catalogue import (
    Catalogue,
    GuestKind,
    Location,
    OsImage,
    Rates,
    ResourceLimits,
    ResourceRange,
    ServerConfig,
    Tariff,
)
from domain.model.money import Money

RUB = "RUB"


def at(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0
) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, micro, tzinfo=dt.UTC)


def rub(text: str) -> Money:
    return Money.parse(text, RUB)


MSK = Location(1, "ru-msk-1", "Moscow 1", "RU", "Moscow", "DataPro")
SPB = Location(2, "ru-spb-1", "Saint Petersburg 1", "RU", "Saint Petersburg", "Selectel")
UBUNTU = OsImage(1, "Ubuntu 24.04", "ubuntu", "24.04", "linux", GuestKind.LXC, Money.zero(RUB))
WINDOWS = OsImage(
    2, "Windows Server 2022", "windows", "2022", "windows", GuestKind.QEMU, rub("0.50")
)
SMALL = Tariff(1, "small", ServerConfig(1, 1024, 10), rub("500.00"))
BIG = Tariff(2, "big", ServerConfig(4, 8192, 80), rub("1000.00"), frozenset({2}))
LIMITS = ResourceLimits(
    cores=ResourceRange(1, 16),
    memory_mib=ResourceRange(512, 65536, 512),
    disk_gib=ResourceRange(10, 500, 10),
)
# 1.50 per core, 0.40 per GiB of memory, 0.01 per GiB of disk, per hour.
RATES = Rates(rub("1.50"), rub("0.40"), rub("0.01"))


def catalogue(version: int = 7, rates: Rates = RATES) -> Catalogue:
    return Catalogue(
        version=version,
        currency=RUB,
        locations=(MSK, SPB),
        images=(UBUNTU, WINDOWS),
        tariffs=(SMALL, BIG),
        limits=LIMITS,
        rates={MSK.id: rates, SPB.id: rates},
    )
