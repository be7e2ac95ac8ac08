"""Payments in PostgreSQL: a row per payment, a row per refund.

`by_gateway_id(..., for_update=True)` and `get_for_update` lock the payment's row: two
notifications of one payment (or a notification and the reconciliation) settle it one after the
other, and the second finds it settled.
"""

from __future__ import annotations

import builtins
import datetime as dt
from typing import Any

from adapters.postgres.rows import money, structure
from adapters.postgres.session import Db, Row, next_id, paged
from domain.model.errors import NotFound
from domain.model.payments import Payment, PaymentStatus
from ports.paging import Page

_COLUMNS = (
    "id, customer_id, amount_micro, currency, gateway, gateway_payment_id, confirmation_url,"
    " status, created_at, settled_at"
)
_SELECT = f"SELECT {_COLUMNS} FROM payments"  # noqa: S608


class PostgresPaymentRepository:
    def __init__(self, db: Db) -> None:
        self._db = db

    def next_id(self) -> int:
        return next_id(self._db, "payments")

    def add(self, payment: Payment) -> Payment:
        row = self._db.row(
            f"INSERT INTO payments ({_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (gateway, gateway_payment_id) DO NOTHING RETURNING id",
            (
                payment.id,
                payment.customer_id,
                payment.amount.micro,
                payment.amount.currency,
                payment.gateway,
                payment.gateway_payment_id,
                payment.confirmation_url,
                payment.status.value,
                payment.created_at,
                payment.settled_at,
            ),
        )
        if row is None:  # a retried create: the one stored first stands
            stored = self.by_gateway_id(payment.gateway, payment.gateway_payment_id)
            assert stored is not None
            return stored
        self._save_refunds(payment)
        return payment

    def get(self, payment_id: int) -> Payment | None:
        return self._one(f"{_SELECT} WHERE id = %s", (payment_id,))

    def get_for_update(self, payment_id: int) -> Payment | None:
        return self._one(f"{_SELECT} WHERE id = %s FOR UPDATE", (payment_id,))

    def by_gateway_id(
        self, gateway: str, gateway_payment_id: str, *, for_update: bool = False
    ) -> Payment | None:
        lock = " FOR UPDATE" if for_update else ""
        return self._one(
            f"{_SELECT} WHERE gateway = %s AND gateway_payment_id = %s{lock}",
            (gateway, gateway_payment_id),
        )

    def update(self, payment: Payment) -> None:
        touched = self._db.run(
            "UPDATE payments SET status = %s, settled_at = %s WHERE id = %s",
            (payment.status.value, payment.settled_at, payment.id),
        )
        if touched != 1:
            raise NotFound("payment", payment.id)
        self._save_refunds(payment)

    def pending_count(self, customer_id: int) -> int:
        return int(
            self._db.scalar(
                "SELECT count(*) FROM payments WHERE customer_id = %s AND status = 'pending'",
                (customer_id,),
            )
        )

    def for_customer(self, customer_id: int, page: Page) -> tuple[list[Payment], int]:
        rows, total = paged(
            self._db, f"{_SELECT} WHERE customer_id = %s ORDER BY id DESC", (customer_id,), page
        )
        return self._payments(rows), total

    def list(
        self, page: Page, status: PaymentStatus | None = None
    ) -> tuple[builtins.list[Payment], int]:
        if status is None:
            rows, total = paged(self._db, f"{_SELECT} ORDER BY id DESC", (), page)
        else:
            rows, total = paged(
                self._db, f"{_SELECT} WHERE status = %s ORDER BY id DESC", (status.value,), page
            )
        return self._payments(rows), total

    def pending_before(
        self, gateway: str, moment: dt.datetime, limit: int
    ) -> builtins.list[Payment]:
        rows = self._db.rows(
            f"{_SELECT} WHERE status = 'pending' AND gateway = %s AND created_at < %s"
            " ORDER BY created_at, id LIMIT %s",
            (gateway, moment, max(limit, 0)),
        )
        return self._payments(rows)

    def with_pending_refunds(self, gateway: str, limit: int) -> builtins.list[Payment]:
        rows = self._db.rows(
            f"{_SELECT} WHERE gateway = %s AND id IN (SELECT payment_id FROM payment_refunds"
            " WHERE status = 'pending') ORDER BY id LIMIT %s",
            (gateway, max(limit, 0)),
        )
        return self._payments(rows)

    def _save_refunds(self, payment: Payment) -> None:
        if not payment.refunds:
            return
        self._db.many(
            "INSERT INTO payment_refunds"
            " (payment_id, gateway_refund_id, amount_micro, status, created_at, reason)"
            " VALUES (%s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (payment_id, gateway_refund_id) DO UPDATE SET status = EXCLUDED.status",
            [
                (
                    payment.id,
                    r.gateway_refund_id,
                    r.amount.micro,
                    r.status.value,
                    r.created_at,
                    r.reason,
                )
                for r in payment.refunds
            ],
        )

    def _one(self, query: str, params: tuple[Any, ...]) -> Payment | None:
        row = self._db.row(query, params)
        return None if row is None else self._payments([row])[0]

    def _payments(self, rows: builtins.list[Row]) -> builtins.list[Payment]:
        if not rows:
            return []
        refunds: dict[int, builtins.list[dict[str, Any]]] = {r["id"]: [] for r in rows}
        currency = {r["id"]: r["currency"] for r in rows}
        for r in self._db.rows(
            "SELECT payment_id, gateway_refund_id, amount_micro, status, created_at, reason"
            " FROM payment_refunds WHERE payment_id = ANY(%s)"
            " ORDER BY id",
            (list(refunds),),
        ):
            refunds[r["payment_id"]].append(
                {
                    "gateway_refund_id": r["gateway_refund_id"],
                    "amount": money(r["amount_micro"], currency[r["payment_id"]]),
                    "status": r["status"],
                    "created_at": r["created_at"],
                    "reason": r["reason"],
                }
            )
        return [
            structure(
                {
                    "id": r["id"],
                    "customer_id": r["customer_id"],
                    "amount": money(r["amount_micro"], r["currency"]),
                    "gateway": r["gateway"],
                    "gateway_payment_id": r["gateway_payment_id"],
                    "confirmation_url": r["confirmation_url"],
                    "status": r["status"],
                    "created_at": r["created_at"],
                    "settled_at": r["settled_at"],
                    "refunds": refunds[r["id"]],
                },
                Payment,
            )
            for r in rows
        ]
