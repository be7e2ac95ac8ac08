"""What a YooKassa shop holds, and the rules of the published API v3 over it.

Payments go pending -> succeeded (one-stage, `capture: true`) or pending -> waiting_for_capture
-> succeeded | canceled (two-stage), or pending -> canceled when the buyer gives up; capture and
cancel are allowed only from waiting_for_capture. A refund is only of a succeeded payment and
never more than is left of it. Every write carries an Idempotence-Key (at most 64 of
[0-9a-zA-Z+-_.]): the same key with the same body answers the first answer again; with another
body it is 400 invalid_request "Idempotence key duplicated". Amounts are decimal strings with at
most two places. The buyer's acts (pay, give up) are the simulator's own controls, as the buyer
would do them on YooKassa's page, and each change of status queues its notification.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

_KEY = re.compile(r"^[0-9a-zA-Z+\-_.]{1,64}$")
_VALUE = re.compile(r"^[0-9]{1,12}(\.[0-9]{1,2})?$")
COMMISSION = Decimal("0.035")  # what the simulated gateway keeps of each payment (income_amount)


class YooKassaError(Exception):
    CODES = {
        400: "invalid_request",
        401: "invalid_credentials",
        403: "forbidden",
        404: "not_found",
        429: "too_many_requests",
        500: "internal_server_error",
    }

    def __init__(self, status: int, description: str, parameter: str | None = None) -> None:
        super().__init__(description)
        self.status, self.description, self.parameter = status, description, parameter

    def body(self) -> dict[str, Any]:
        found = {
            "type": "error",
            "id": str(uuid.uuid4()),
            "code": self.CODES[self.status],
            "description": self.description,
        }
        if self.parameter:
            found["parameter"] = self.parameter
        return found


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _gateway_id() -> str:
    # YooKassa's ids are 36 characters, UUID-shaped, e.g. 2419a771-000f-5000-9000-1edaf29243f2.
    return str(uuid.uuid4())


def amount_of(data: Any, parameter: str = "amount") -> Decimal:
    if not isinstance(data, dict) or set(data) - {"value", "currency"}:
        raise YooKassaError(400, "Amount is invalid", parameter)
    value, currency = data.get("value"), data.get("currency")
    if not isinstance(value, str) or not _VALUE.match(value):
        raise YooKassaError(400, "Amount value is invalid", f"{parameter}.value")
    if not isinstance(currency, str) or not re.fullmatch(r"[A-Z]{3}", currency):
        raise YooKassaError(400, "Currency is invalid", f"{parameter}.currency")
    try:
        parsed = Decimal(value)
    except InvalidOperation:
        raise YooKassaError(400, "Amount value is invalid", f"{parameter}.value") from None
    if parsed <= 0:
        raise YooKassaError(400, "Amount value must be greater than 0", f"{parameter}.value")
    return parsed


def money(value: Decimal, currency: str) -> dict[str, str]:
    return {"value": f"{value:.2f}", "currency": currency}


class Shop:
    """One shop's payments and refunds. Not thread-safe: the server holds its lock around it."""

    def __init__(self, checkout_base: str) -> None:
        self.checkout_base = checkout_base
        self.payments: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.notifications: list[dict[str, Any]] = []  # queued, in the order they happened
        # Refunds answered `pending` until `finish_refund` (some payment methods take days).
        self.hold_refunds = False
        self._answers: dict[str, tuple[str, int, dict[str, Any]]] = {}

    # --- idempotence ---------------------------------------------------------------------------
    def once(self, key: str | None, request: str, make: Any) -> tuple[int, dict[str, Any]]:
        if key is None:
            raise YooKassaError(400, "Idempotence key is required", "Idempotence-Key")
        if not _KEY.match(key):
            raise YooKassaError(400, "Idempotence key is invalid", "Idempotence-Key")
        stored = self._answers.get(key)
        if stored is not None:
            if stored[0] != request:
                raise YooKassaError(400, "Idempotence key duplicated", "Idempotence-Key")
            return stored[1], stored[2]
        status, body = make()
        self._answers[key] = (request, status, body)
        return status, body

    # --- the API -------------------------------------------------------------------------------
    def create_payment(self, body: Any) -> tuple[int, dict[str, Any]]:
        if not isinstance(body, dict):
            raise YooKassaError(400, "Request body is invalid")
        value = amount_of(body.get("amount"))
        currency = body["amount"]["currency"]
        capture = body.get("capture", False)
        if not isinstance(capture, bool):
            raise YooKassaError(400, "capture must be a boolean", "capture")
        description = body.get("description", "")
        if not isinstance(description, str) or len(description) > 128:
            raise YooKassaError(400, "Description is too long", "description")
        metadata = body.get("metadata", {})
        if (
            not isinstance(metadata, dict)
            or len(metadata) > 16
            or any(
                not isinstance(v, str) or len(k) > 32 or len(v) > 512 for k, v in metadata.items()
            )
        ):
            raise YooKassaError(400, "Metadata is invalid", "metadata")
        payment_id = _gateway_id()
        payment: dict[str, Any] = {
            "id": payment_id,
            "status": "pending",
            "paid": False,
            "amount": money(value, currency),
            "created_at": _now(),
            "description": description,
            "metadata": metadata,
            "recipient": {"account_id": "100500", "gateway_id": "100700"},
            "refundable": False,
            "test": True,
            "_capture": capture,
        }
        confirmation = body.get("confirmation")
        if confirmation is not None:
            if not isinstance(confirmation, dict) or confirmation.get("type") != "redirect":
                raise YooKassaError(400, "Confirmation type is invalid", "confirmation.type")
            return_url = confirmation.get("return_url")
            if not isinstance(return_url, str) or not 1 <= len(return_url) <= 2048:
                raise YooKassaError(400, "Return URL is invalid", "confirmation.return_url")
            payment["confirmation"] = {
                "type": "redirect",
                "return_url": return_url,
                "confirmation_url": f"{self.checkout_base}/checkout/{payment_id}",
            }
        self.payments[payment_id] = payment
        return 200, self.view(payment)

    def payment(self, payment_id: str) -> dict[str, Any]:
        found = self.payments.get(payment_id)
        if found is None:
            raise YooKassaError(404, "Payment not found or forbidden", "payment_id")
        return found

    def capture(self, payment_id: str, body: Any) -> tuple[int, dict[str, Any]]:
        payment = self.payment(payment_id)
        if payment["status"] != "waiting_for_capture":
            raise YooKassaError(400, f"Payment has status {payment['status']}", "payment_id")
        if isinstance(body, dict) and "amount" in body:
            taken = amount_of(body["amount"])
            if taken > Decimal(payment["amount"]["value"]):
                raise YooKassaError(400, "Amount is more than authorized", "amount.value")
            payment["amount"] = money(taken, payment["amount"]["currency"])
        self._succeed(payment)
        return 200, self.view(payment)

    def cancel(self, payment_id: str) -> tuple[int, dict[str, Any]]:
        payment = self.payment(payment_id)
        if payment["status"] != "waiting_for_capture":
            raise YooKassaError(400, f"Payment has status {payment['status']}", "payment_id")
        self._cancel(payment, "merchant", "canceled_by_merchant")
        return 200, self.view(payment)

    def create_refund(self, body: Any) -> tuple[int, dict[str, Any]]:
        if not isinstance(body, dict) or not isinstance(body.get("payment_id"), str):
            raise YooKassaError(400, "Payment id is required", "payment_id")
        if len(body["payment_id"]) != 36:
            raise YooKassaError(400, "Payment id is invalid", "payment_id")
        payment = self.payment(body["payment_id"])
        value = amount_of(body.get("amount"))
        if payment["status"] != "succeeded":
            raise YooKassaError(400, "Payment is not succeeded", "payment_id")
        if body["amount"]["currency"] != payment["amount"]["currency"]:
            raise YooKassaError(400, "Currency differs from the payment's", "amount.currency")
        refunded = Decimal(payment["refunded_amount"]["value"])
        if refunded + value > Decimal(payment["amount"]["value"]):
            raise YooKassaError(400, "Refund amount exceeds what is left", "amount.value")
        description = body.get("description", "")
        if not isinstance(description, str) or len(description) > 250:
            raise YooKassaError(400, "Description is too long", "description")
        refund = {
            "id": _gateway_id(),
            "payment_id": payment["id"],
            "status": "pending" if self.hold_refunds else "succeeded",
            "created_at": _now(),
            "amount": money(value, payment["amount"]["currency"]),
            "description": description,
        }
        self.refunds[refund["id"]] = refund
        payment["refunded_amount"] = money(refunded + value, payment["amount"]["currency"])
        payment["refundable"] = refunded + value < Decimal(payment["amount"]["value"])
        if refund["status"] == "succeeded":
            self._notify("refund.succeeded", refund)
        return 200, dict(refund)

    def finish_refund(self, refund_id: str, status: str = "succeeded") -> dict[str, Any]:
        """A held refund ends: `succeeded`, or `canceled` (what it reserved is given back)."""
        refund = self.refunds[refund_id]
        if refund["status"] == "pending":
            refund["status"] = status
            if status == "succeeded":
                self._notify("refund.succeeded", refund)
            else:
                payment = self.payments[refund["payment_id"]]
                left = Decimal(payment["refunded_amount"]["value"]) - Decimal(
                    refund["amount"]["value"]
                )
                payment["refunded_amount"] = money(left, payment["amount"]["currency"])
                payment["refundable"] = True
        return dict(refund)

    def refund(self, refund_id: str) -> dict[str, Any]:
        found = self.refunds.get(refund_id)
        if found is None:
            raise YooKassaError(404, "Refund not found or forbidden", "refund_id")
        return dict(found)

    # --- the buyer's side --------------------------------------------------------------------
    def buyer_pays(self, payment_id: str) -> dict[str, Any]:
        payment = self.payment(payment_id)
        if payment["status"] == "pending":
            payment["paid"] = True
            if payment["_capture"]:
                self._succeed(payment)
            else:
                payment["status"] = "waiting_for_capture"
                self._notify("payment.waiting_for_capture", self.view(payment))
        return self.view(payment)

    def buyer_gives_up(self, payment_id: str) -> dict[str, Any]:
        payment = self.payment(payment_id)
        if payment["status"] == "pending":
            self._cancel(payment, "yoo_money", "expired_on_confirmation")
        return self.view(payment)

    def _succeed(self, payment: dict[str, Any]) -> None:
        value = Decimal(payment["amount"]["value"])
        currency = payment["amount"]["currency"]
        payment.update(
            status="succeeded",
            paid=True,
            captured_at=_now(),
            income_amount=money(value - (value * COMMISSION).quantize(Decimal("0.01")), currency),
            refunded_amount=money(Decimal(0), currency),
            refundable=True,
        )
        self._notify("payment.succeeded", self.view(payment))

    def _cancel(self, payment: dict[str, Any], party: str, reason: str) -> None:
        payment.update(status="canceled", cancellation_details={"party": party, "reason": reason})
        self._notify("payment.canceled", self.view(payment))

    def _notify(self, event: str, obj: dict[str, Any]) -> None:
        self.notifications.append({"type": "notification", "event": event, "object": dict(obj)})

    @staticmethod
    def view(payment: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in payment.items() if not k.startswith("_")}
