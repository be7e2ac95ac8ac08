"""Promo codes and their redemptions in memory."""

from __future__ import annotations

import builtins

import attrs

from adapters.memory.tables import Tables
from domain.model.errors import AlreadyExists, NotFound, PromoCodeRejected
from domain.model.promo import PromoCode
from ports.paging import Page
from ports.promos import Redemption


class InMemoryPromoCodeRepository:
    def __init__(self, uow: Tables) -> None:
        self._uow = uow

    def next_id(self) -> int:
        return self._uow.next_id("promos")

    def add(self, code: PromoCode) -> None:
        table = self._table()
        if code.id in table:
            raise AlreadyExists(f"promo code {code.id} exists", id=code.id)
        if self.by_code(code.code) is not None:
            raise AlreadyExists(f"promo code {code.code} exists", field="code")
        self._uow.write("promos")[code.id] = code
        self._uow.saw_id("promos", code.id)

    def get(self, code_id: int) -> PromoCode | None:
        return self._table().get(code_id)

    def by_code(self, code: str) -> PromoCode | None:
        wanted = code.strip().upper()
        return next((c for c in self._table().values() if c.code == wanted), None)

    def update(self, code: PromoCode) -> None:
        table = self._table()
        if code.id not in table:
            raise NotFound("promo code", code.id)
        other = self.by_code(code.code)
        if other is not None and other.id != code.id:
            raise AlreadyExists(f"promo code {code.code} exists", field="code")
        self._uow.write("promos")[code.id] = code

    def list(self, page: Page) -> tuple[builtins.list[PromoCode], int]:
        table = self._table()
        return page.cut([table[i] for i in sorted(table)])

    def uses_by(self, code_id: int, customer_id: int) -> int:
        return sum(
            1 for r in self._redemptions() if r.code_id == code_id and r.customer_id == customer_id
        )

    def redeem(self, code_id: int, redemption: Redemption) -> PromoCode:
        stored = self.get(code_id)
        if stored is None:
            raise NotFound("promo code", code_id)
        if stored.max_uses is not None and stored.uses >= stored.max_uses:
            raise PromoCodeRejected("exhausted", f"promo code {stored.code} has been used up")
        if self.uses_by(code_id, redemption.customer_id) >= stored.max_uses_per_customer:
            raise PromoCodeRejected(
                "already_used", f"you have already used promo code {stored.code}"
            )
        used = stored.with_use()
        self._uow.write("redemptions").append(attrs.evolve(redemption, code_id=code_id))
        self._uow.write("promos")[code_id] = used
        return used

    def give_back(self, code_id: int, customer_id: int, reference: str) -> None:
        redemptions = self._redemptions()
        for index in range(len(redemptions) - 1, -1, -1):
            r = redemptions[index]
            if (r.code_id, r.customer_id, r.reference) == (code_id, customer_id, reference):
                del self._uow.write("redemptions")[index]
                stored = self.get(code_id)
                if stored is not None and stored.uses > 0:
                    self._uow.write("promos")[code_id] = attrs.evolve(stored, uses=stored.uses - 1)
                return

    def _table(self) -> dict[int, PromoCode]:
        table: dict[int, PromoCode] = self._uow.read("promos")
        return table

    def _redemptions(self) -> builtins.list[Redemption]:
        redemptions: list[Redemption] = self._uow.read("redemptions")
        return redemptions
