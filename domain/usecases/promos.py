"""Promo codes: an admin's CRUD, and a customer redeeming a balance bonus."""

from __future__ import annotations

import datetime as dt
import enum
from typing import TypeVar

import attrs

from domain.model.errors import NotFound, ValidationError
from domain.model.ledger import Transaction
from domain.model.ledger_movements import bonus
from domain.model.money import Money
from domain.model.promo import DiscountDuration, PromoCode, PromoKind, normalize_code
from domain.usecases.common import Actor, account_of, audit
from domain.usecases.dunning import reassess_account
from domain.usecases.runtime import Runtime
from ports.paging import Page
from ports.promos import Redemption
from ports.unit_of_work import UnitOfWork

E = TypeVar("E", bound=enum.Enum)


@attrs.frozen
class PromoDraft:
    """An admin's description of a code, as sent; validated into a PromoCode."""

    code: object
    kind: object
    percent: object = 0
    amount: object = None
    duration: object = "first_charge"
    duration_days: object = 0
    valid_from: dt.datetime | None = None
    valid_until: dt.datetime | None = None
    max_uses: object = None
    max_uses_per_customer: object = 1
    tariff_ids: tuple[int, ...] = ()
    location_ids: tuple[int, ...] = ()
    active: object = True


def _enum(cls: type[E], value: object, field: str) -> E:
    try:
        return cls(value)
    except ValueError:
        raise ValidationError(field, f"must be one of {', '.join(m.value for m in cls)}") from None


def _int(value: object, field: str, *, optional: bool = False) -> int | None:
    if value is None and optional:
        return None
    if type(value) is not int or not 0 <= value <= 10**9:
        raise ValidationError(field, "must be a whole number within 0..1000000000")
    return value


def _moment(value: object, field: str) -> dt.datetime | None:
    # A naive or non-time value would fail only later, when a customer's order compares it with now.
    if value is None or (isinstance(value, dt.datetime) and value.utcoffset() is not None):
        return value
    raise ValidationError(field, "must be a moment with a time zone, such as 2026-03-01T00:00:00Z")


def _build(draft: PromoDraft, code_id: int, currency: str, uses: int = 0) -> PromoCode:
    if not isinstance(draft.active, bool):
        raise ValidationError("active", "must be true or false")
    amount = Money.parse(draft.amount, currency) if draft.amount is not None else None
    return PromoCode(
        id=code_id,
        code=normalize_code(draft.code),
        kind=_enum(PromoKind, draft.kind, "kind"),
        percent=_int(draft.percent, "percent") or 0,
        amount=amount,
        duration=_enum(DiscountDuration, draft.duration, "duration"),
        duration_days=_int(draft.duration_days, "durationDays") or 0,
        valid_from=_moment(draft.valid_from, "validFrom"),
        valid_until=_moment(draft.valid_until, "validUntil"),
        max_uses=_int(draft.max_uses, "maxUses", optional=True),
        max_uses_per_customer=_int(draft.max_uses_per_customer, "maxUsesPerCustomer") or 0,
        tariff_ids=frozenset(draft.tariff_ids),
        location_ids=frozenset(draft.location_ids),
        uses=uses,
        active=draft.active,
    )


def _stored(uow: UnitOfWork, code_id: object) -> PromoCode:
    code = uow.promos.get(code_id) if type(code_id) is int else None
    if code is None:
        raise NotFound("promo code", code_id)
    return code


def create_promo(rt: Runtime, actor: Actor, draft: PromoDraft) -> PromoCode:
    actor.require_admin()
    with rt.uow() as uow:
        code = _build(draft, uow.promos.next_id(), rt.policy.currency)
        uow.promos.add(code)
        audit(uow, actor, "promo.create", f"promo:{code.id}", rt.clock.now(), code=code.code)
        uow.commit()
    return code


def update_promo(rt: Runtime, actor: Actor, code_id: object, draft: PromoDraft) -> PromoCode:
    """Replace a code's terms. Its text and use count stay: redemptions already made refer to
    them."""
    actor.require_admin()
    with rt.uow() as uow:
        current = _stored(uow, code_id)
        updated = _build(
            attrs.evolve(draft, code=current.code), current.id, rt.policy.currency, current.uses
        )
        uow.promos.update(updated)
        audit(uow, actor, "promo.update", f"promo:{current.id}", rt.clock.now())
        uow.commit()
    return updated


def deactivate_promo(rt: Runtime, actor: Actor, code_id: object) -> PromoCode:
    """Codes are never deleted (redemptions point at them); a removed code is deactivated."""
    actor.require_admin()
    with rt.uow() as uow:
        current = _stored(uow, code_id)
        updated = attrs.evolve(current, active=False)
        uow.promos.update(updated)
        audit(uow, actor, "promo.deactivate", f"promo:{current.id}", rt.clock.now())
        uow.commit()
    return updated


def list_promos(rt: Runtime, actor: Actor, page: Page) -> tuple[list[PromoCode], int]:
    actor.require_admin()
    with rt.uow() as uow:
        return uow.promos.list(page)


def get_promo(rt: Runtime, actor: Actor, code_id: object) -> PromoCode:
    actor.require_admin()
    with rt.uow() as uow:
        code = _stored(uow, code_id)
        return code


def redeem_bonus(rt: Runtime, actor: Actor, *, code: object) -> Transaction:
    """Credit a bonus code's amount to the caller's balance, once per the code's limits."""
    text = normalize_code(code)
    now = rt.clock.now()
    with rt.uow() as uow:
        account = account_of(uow, actor.account_id)
        promo = uow.promos.by_code(text)
        if promo is None:
            raise NotFound("promo code", text)
        promo.check(
            now=now, customer_uses=uow.promos.uses_by(promo.id, account.id), for_order=False
        )
        promo = uow.promos.redeem(promo.id, Redemption(promo.id, account.id, "balance", now))
        assert promo.amount is not None
        tx = uow.ledger.post(
            bonus(
                account.id,
                promo.amount,
                key=f"bonus:{promo.id}:{account.id}:{promo.uses}",
                now=now,
                memo=f"promo code {promo.code}",
            )
        )
        audit(uow, actor, "promo.redeem", f"promo:{promo.id}", now)
        uow.commit()
    reassess_account(rt, account.id)
    return tx
