"""The sandbox checkout's records in PostgreSQL (adapters/payments/sandbox.py), shared by every
process: each call is its own short transaction on a pooled connection, as a remote gateway's
calls are apart from our units of work."""

from __future__ import annotations

from typing import Any

from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from adapters.payments.sandbox import Checkout, CheckoutRefund
from adapters.postgres.session import translated
from domain.model.errors import Conflict
from domain.model.money import Money

_CHECKOUT = "id, amount_micro, currency, description, idempotence_key, status, created_at," + (
    " refunded_micro"
)


class PostgresCheckoutStore:
    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool

    def insert(self, checkout: Checkout) -> Checkout:
        with translated(), self._pool.connection() as conn:
            conn.execute(
                f"INSERT INTO sandbox_checkouts ({_CHECKOUT})"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, 0)"
                " ON CONFLICT (idempotence_key) DO NOTHING",
                (
                    checkout.id,
                    checkout.amount.micro,
                    checkout.amount.currency,
                    checkout.description,
                    checkout.idempotence_key,
                    checkout.status,
                    checkout.created_at,
                ),
            )
            row = (
                conn.cursor(row_factory=dict_row)
                .execute(
                    f"SELECT {_CHECKOUT} FROM sandbox_checkouts WHERE idempotence_key = %s",
                    (checkout.idempotence_key,),
                )
                .fetchone()
            )
        assert row is not None
        return _checkout(row)

    def get(self, checkout_id: str) -> Checkout | None:
        with translated(), self._pool.connection() as conn:
            row = (
                conn.cursor(row_factory=dict_row)
                .execute(f"SELECT {_CHECKOUT} FROM sandbox_checkouts WHERE id = %s", (checkout_id,))
                .fetchone()
            )
        return None if row is None else _checkout(row)

    def decide(self, checkout_id: str, status: str) -> Checkout | None:
        with translated(), self._pool.connection() as conn:
            conn.execute(
                "UPDATE sandbox_checkouts SET status = %s WHERE id = %s AND status = 'pending'",
                (status, checkout_id),
            )
        return self.get(checkout_id)

    def add_refund(self, refund: CheckoutRefund) -> CheckoutRefund:
        with translated(), self._pool.connection() as conn:
            found = self._refund_by_key(conn, refund.idempotence_key)
            if found is not None:
                return found
            taken = conn.execute(
                "UPDATE sandbox_checkouts SET refunded_micro = refunded_micro + %s"
                " WHERE id = %s AND refunded_micro + %s <= amount_micro",
                (refund.amount.micro, refund.checkout_id, refund.amount.micro),
            ).rowcount
            if taken != 1:
                raise Conflict("past what is left to refund")
            conn.execute(
                "INSERT INTO sandbox_checkout_refunds (id, checkout_id, amount_micro,"
                " idempotence_key) VALUES (%s, %s, %s, %s)",
                (refund.id, refund.checkout_id, refund.amount.micro, refund.idempotence_key),
            )
        return refund

    def refund(self, refund_id: str) -> CheckoutRefund | None:
        with translated(), self._pool.connection() as conn:
            row = (
                conn.cursor(row_factory=dict_row)
                .execute(
                    "SELECT r.id, r.checkout_id, r.amount_micro, c.currency, r.idempotence_key"
                    " FROM sandbox_checkout_refunds r JOIN sandbox_checkouts c"
                    " ON c.id = r.checkout_id WHERE r.id = %s",
                    (refund_id,),
                )
                .fetchone()
            )
        return None if row is None else _refund(row)

    def _refund_by_key(self, conn: Any, key: str) -> CheckoutRefund | None:
        row = (
            conn.cursor(row_factory=dict_row)
            .execute(
                "SELECT r.id, r.checkout_id, r.amount_micro, c.currency, r.idempotence_key"
                " FROM sandbox_checkout_refunds r JOIN sandbox_checkouts c"
                " ON c.id = r.checkout_id WHERE r.idempotence_key = %s",
                (key,),
            )
            .fetchone()
        )
        return None if row is None else _refund(row)


def _checkout(row: dict[str, Any]) -> Checkout:
    return Checkout(
        row["id"],
        Money(row["amount_micro"], row["currency"]),
        row["description"],
        row["idempotence_key"],
        row["status"],
        row["created_at"],
        row["refunded_micro"],
    )


def _refund(row: dict[str, Any]) -> CheckoutRefund:
    return CheckoutRefund(
        row["id"],
        row["checkout_id"],
        Money(row["amount_micro"], row["currency"]),
        row["idempotence_key"],
    )
