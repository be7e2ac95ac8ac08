"""Builders of domain objects for the contract suites: valid by default, overridable by keyword."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from domain.model.accounts import Account, ApiToken, Role, TokenKind
from domain.model.action import Action, ActionCommand, ActionStatus
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
from domain.model.metering import Meter
from domain.model.money import Money
from domain.model.notices import Notice
from domain.model.promo import NO_DISCOUNT, PromoCode, PromoKind
from domain.model.server import Server, ServerStatus

T0 = dt.datetime(2026, 1, 15, 10, 0, tzinfo=dt.UTC)
RUB = "RUB"


def rub(units: int | float) -> Money:
    return Money(int(round(units * 1_000_000)), RUB)


def account(id: int, email: str | None = None, **kw: Any) -> Account:
    fields: dict[str, Any] = dict(
        id=id,
        email=email or f"user{id}@example.com",
        password_hash="$argon2id$fake",
        role=Role.CUSTOMER,
        currency=RUB,
        created_at=T0,
    )
    fields.update(kw)
    return Account(**fields)


def token(id: int, account_id: int, digest: str | None = None, **kw: Any) -> ApiToken:
    fields: dict[str, Any] = dict(
        id=id,
        account_id=account_id,
        kind=TokenKind.PERSONAL,
        name=f"token {id}",
        digest=digest or f"{id:064x}",
        created_at=T0,
    )
    fields.update(kw)
    return ApiToken(**fields)


def server(id: int, owner_id: int = 1, **kw: Any) -> Server:
    billed_until = kw.pop("billed_until", T0)
    fields: dict[str, Any] = dict(
        id=id,
        owner_id=owner_id,
        name=f"srv-{id}",
        location_id=1,
        image_id=1,
        tariff_id=None,
        guest_kind=GuestKind.LXC,
        config=ServerConfig(1, 1024, 10),
        status=ServerStatus.RUNNING,
        created_at=T0,
        updated_at=T0,
        catalogue_version=1,
        meter=Meter.start(rub(1), rub(730), NO_DISCOUNT, billed_until),
    )
    fields.update(kw)
    return Server(**fields)


def action(id: int, server_id: int, owner_id: int = 1, **kw: Any) -> Action:
    fields: dict[str, Any] = dict(
        id=id,
        server_id=server_id,
        owner_id=owner_id,
        command=ActionCommand.START,
        status=ActionStatus.RUNNING,
        started_at=T0,
    )
    fields.update(kw)
    return Action(**fields)


def promo(id: int, code: str = "SPRING", **kw: Any) -> PromoCode:
    fields: dict[str, Any] = dict(id=id, code=code, kind=PromoKind.PERCENT, percent=10)
    fields.update(kw)
    return PromoCode(**fields)


def notice(id: int, account_id: int = 1, **kw: Any) -> Notice:
    fields: dict[str, Any] = dict(
        id=id,
        account_id=account_id,
        to=f"user{account_id}@example.com",
        template="welcome",
        subject="Welcome",
        body="Welcome\n",
        created_at=T0,
    )
    fields.update(kw)
    return Notice(**fields)


def catalogue(version: int = 1) -> Catalogue:
    location = Location(1, "ru-msk-1", "Moscow 1", "RU", "Moscow", "DataPro")
    image = OsImage(1, "Ubuntu 24.04", "ubuntu", "24.04", "linux", GuestKind.LXC, Money.zero(RUB))
    limits = ResourceLimits(
        ResourceRange(1, 16), ResourceRange(512, 65536, 512), ResourceRange(10, 1000, 10)
    )
    tariff = Tariff(1, "Start", ServerConfig(1, 1024, 10), rub(300))
    return Catalogue(
        version=version,
        currency=RUB,
        locations=(location,),
        images=(image,),
        tariffs=(tariff,),
        limits=limits,
        rates={1: Rates(rub(0.5), rub(0.25), rub(0.01))},
    )


def evolve(obj: Any, **changes: Any) -> Any:
    return attrs.evolve(obj, **changes)
