"""Promo codes and their redemptions in PostgreSQL.

`uses` is the number of redemption rows, kept by a trigger on promo_redemptions that also refuses a
redemption beyond either limit. `redeem` locks the code row first (FOR UPDATE), so racing
redemptions queue on it and each one checks the limits as the previous one committed them; the
trigger is the backstop. `update` therefore never writes `uses`: an admin's edit made from a
stale read cannot undo a redemption that committed meanwhile.
"""

from __future__ import annotations

import builtins

from adapters.postgres.rows import money, structure, unstructure
from adapters.postgres.session import Db, Row, insert_new, next_id, paged, update_by_id
from domain.model.errors import AlreadyExists, NotFound, PromoCodeRejected
from domain.model.promo import PromoCode
from ports.paging import Page
from ports.promos import Redemption


def code_row(code: PromoCode) -> Row:
    data = unstructure(code)
    amount = data.pop("amount")
    data["amount_micro"] = amount and amount["micro"]
    data["amount_currency"] = amount and amount["currency"]
    data["tariff_ids"] = sorted(code.tariff_ids)
    data["location_ids"] = sorted(code.location_ids)
    return data


def code_from(row: Row) -> PromoCode:
    r = dict(row)
    micro, currency = r.pop("amount_micro"), r.pop("amount_currency")
    r["amount"] = money(micro, currency) if currency is not None else None
    return structure(r, PromoCode)


class PostgresPromoCodeRepository:
    def __init__(self, db: Db) -> None:
        self._db = db

    def next_id(self) -> int:
        return next_id(self._db, "promo_codes")

    def add(self, code: PromoCode) -> None:
        if not insert_new(self._db, "promo_codes", code_row(code)):
            if self.get(code.id) is not None:
                raise AlreadyExists(f"promo code {code.id} exists", id=code.id)
            raise AlreadyExists(f"promo code {code.code} exists", field="code")

    def get(self, code_id: int) -> PromoCode | None:
        return self._one("SELECT * FROM promo_codes WHERE id = %s", code_id)

    def by_code(self, code: str) -> PromoCode | None:
        return self._one("SELECT * FROM promo_codes WHERE code = %s", code.strip().upper())

    def update(self, code: PromoCode) -> None:
        try:
            with self._db.savepoint():
                found = update_by_id(self._db, "promo_codes", code_row(code), skip=("uses",))
        except AlreadyExists:
            raise AlreadyExists(f"promo code {code.code} exists", field="code") from None
        if not found:
            raise NotFound("promo code", code.id)

    def list(self, page: Page) -> tuple[builtins.list[PromoCode], int]:
        rows, total = paged(self._db, "SELECT * FROM promo_codes ORDER BY id", (), page)
        return [code_from(r) for r in rows], total

    def uses_by(self, code_id: int, customer_id: int) -> int:
        return int(
            self._db.scalar(
                "SELECT count(*) FROM promo_redemptions WHERE code_id = %s AND customer_id = %s",
                (code_id, customer_id),
            )
        )

    def redeem(self, code_id: int, redemption: Redemption) -> PromoCode:
        stored = self._one("SELECT * FROM promo_codes WHERE id = %s FOR UPDATE", code_id)
        if stored is None:
            raise NotFound("promo code", code_id)
        if stored.max_uses is not None and stored.uses >= stored.max_uses:
            raise PromoCodeRejected("exhausted", f"promo code {stored.code} has been used up")
        if self.uses_by(code_id, redemption.customer_id) >= stored.max_uses_per_customer:
            raise PromoCodeRejected(
                "already_used", f"you have already used promo code {stored.code}"
            )
        self._db.run(
            "INSERT INTO promo_redemptions (code_id, customer_id, reference, at)"
            " VALUES (%s, %s, %s, %s)",
            (code_id, redemption.customer_id, redemption.reference, redemption.at),
        )
        return stored.with_use()

    def give_back(self, code_id: int, customer_id: int, reference: str) -> None:
        self._db.run("SELECT 1 FROM promo_codes WHERE id = %s FOR UPDATE", (code_id,))
        self._db.run(
            "DELETE FROM promo_redemptions WHERE id = ("
            " SELECT max(id) FROM promo_redemptions"
            " WHERE code_id = %s AND customer_id = %s AND reference = %s)",
            (code_id, customer_id, reference),
        )

    def _one(self, query: str, param: object) -> PromoCode | None:
        row = self._db.row(query, (param,))
        return code_from(row) if row else None
