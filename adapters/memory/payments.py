"""Payments in memory: one table of Payment aggregates by id (refunds inside them)."""

from __future__ import annotations

import builtins
import copy
import datetime as dt

from adapters.memory.tables import Tables
from domain.model.errors import NotFound
from domain.model.payments import Payment, PaymentStatus, RefundStatus
from ports.paging import Page


class InMemoryPaymentRepository:
    def __init__(self, uow: Tables) -> None:
        self._uow = uow

    def next_id(self) -> int:
        return self._uow.next_id("payments")

    def add(self, payment: Payment) -> Payment:
        stored = self.by_gateway_id(payment.gateway, payment.gateway_payment_id)
        if stored is not None:
            return stored
        self._uow.write("payments")[payment.id] = copy.deepcopy(payment)
        self._uow.saw_id("payments", payment.id)
        return copy.deepcopy(payment)

    def get(self, payment_id: int) -> Payment | None:
        found = self._table().get(payment_id)
        return copy.deepcopy(found) if found is not None else None

    # Units of work are serialized by the store's lock: holding one is holding every row.
    get_for_update = get

    def by_gateway_id(
        self, gateway: str, gateway_payment_id: str, *, for_update: bool = False
    ) -> Payment | None:
        for payment in self._table().values():
            if (payment.gateway, payment.gateway_payment_id) == (gateway, gateway_payment_id):
                return copy.deepcopy(payment)
        return None

    def update(self, payment: Payment) -> None:
        if payment.id not in self._table():
            raise NotFound("payment", payment.id)
        self._uow.write("payments")[payment.id] = copy.deepcopy(payment)

    def pending_count(self, customer_id: int) -> int:
        return sum(
            p.customer_id == customer_id and p.status is PaymentStatus.PENDING
            for p in self._table().values()
        )

    def for_customer(self, customer_id: int, page: Page) -> tuple[list[Payment], int]:
        return page.cut([p for p in self._newest() if p.customer_id == customer_id])

    def list(
        self, page: Page, status: PaymentStatus | None = None
    ) -> tuple[builtins.list[Payment], int]:
        return page.cut([p for p in self._newest() if status in (None, p.status)])

    def pending_before(
        self, gateway: str, moment: dt.datetime, limit: int
    ) -> builtins.list[Payment]:
        due = [
            p
            for p in sorted(self._table().values(), key=lambda p: (p.created_at, p.id))
            if p.gateway == gateway and p.status is PaymentStatus.PENDING and p.created_at < moment
        ]
        return [copy.deepcopy(p) for p in due[: max(limit, 0)]]

    def with_pending_refunds(self, gateway: str, limit: int) -> builtins.list[Payment]:
        due = [
            p
            for p in sorted(self._table().values(), key=lambda p: p.id)
            if p.gateway == gateway and any(r.status is RefundStatus.PENDING for r in p.refunds)
        ]
        return [copy.deepcopy(p) for p in due[: max(limit, 0)]]

    def _newest(self) -> builtins.list[Payment]:
        return [copy.deepcopy(p) for p in sorted(self._table().values(), key=lambda p: -p.id)]

    def _table(self) -> dict[int, Payment]:
        table: dict[int, Payment] = self._uow.read("payments")
        return table
