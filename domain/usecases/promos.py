"""Promo codes: an admin's CRUD, and a customer redeeming a balance bonus."""

from __future__ import annotations

import attrs

from domain.model.commands import PromoDraft
from domain.model.errors import NotFound
from domain.model.ledger import Transaction
from domain.model.ledger_movements import bonus
from domain.model.promo import PromoCode
from domain.model.values import PromoCodeText
from domain.usecases.actors import Actor, account_of
from domain.usecases.dunning import reassess_account
from domain.usecases.paper_trail import audit
from domain.usecases.runtime import Runtime
from ports.paging import Page
from ports.promos import Redemption
from ports.unit_of_work import UnitOfWork


def _build(draft: PromoDraft, code_id: int, currency: str, uses: int = 0) -> PromoCode:
    return PromoCode(
        id=code_id,
        code=draft.code.text,
        kind=draft.kind,
        percent=draft.percent,
        amount=draft.amount.money(currency) if draft.amount is not None else None,
        duration=draft.duration,
        duration_days=draft.duration_days,
        valid_from=draft.valid_from,
        valid_until=draft.valid_until,
        max_uses=draft.max_uses,
        max_uses_per_customer=draft.max_uses_per_customer,
        tariff_ids=frozenset(draft.tariff_ids),
        location_ids=frozenset(draft.location_ids),
        uses=uses,
        active=draft.active,
    )


def _stored(uow: UnitOfWork, code_id: int) -> PromoCode:
    code = uow.promos.get(code_id)
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


def update_promo(rt: Runtime, actor: Actor, code_id: int, draft: PromoDraft) -> PromoCode:
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


def deactivate_promo(rt: Runtime, actor: Actor, code_id: int) -> PromoCode:
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


def get_promo(rt: Runtime, actor: Actor, code_id: int) -> PromoCode:
    actor.require_admin()
    with rt.uow() as uow:
        code = _stored(uow, code_id)
        return code


def redeem_bonus(rt: Runtime, actor: Actor, code: PromoCodeText) -> Transaction:
    """Credit a bonus code's amount to the caller's balance, once per the code's limits."""
    text = code.text
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
