"""Top-ups: POST/GET /api/payments, GET /api/payments/{id}; the admin's list and refunds; the
gateway's notifications at /api/payments/yookassa/notify."""

from __future__ import annotations

import ipaddress
import logging
from typing import Any

import falcon

from domain.model.errors import Conflict, NotFound
from domain.model.payments import Payment, RefundPayment, TopUp
from domain.model.values import REASON_MAX, REASON_MIN
from domain.usecases import payment_refunds, payments
from domain.usecases.runtime import Runtime
from entrypoints.http import codec
from entrypoints.http.body import parse
from entrypoints.http.client_address import Network, client_of, parse_networks
from entrypoints.http.commands import structure
from entrypoints.http.errors import ApiError
from entrypoints.http.idempotency import request_key, run_once
from entrypoints.http.resources.base import PAGE_PARAMS, Op, Resource, actor, page_of, set_json
from entrypoints.http.response_schemas import MONEY, NULLABLE_STR, PAGE
from entrypoints.http.schemas import AMOUNT, obj, trimmed

log = logging.getLogger("hostprovider.payments")

PAYMENT_START = obj({"amount": AMOUNT}, ("amount",))
REFUND = obj({"amount": AMOUNT, "reason": trimmed(REASON_MIN, REASON_MAX)}, ("reason",))
STATUS = {"enum": ["pending", "succeeded", "canceled"]}
PAYMENT: dict[str, Any] = {
    "type": "object",
    "required": ["id", "status", "amount", "confirmationUrl", "createdAt"],
    "properties": {
        "id": {"type": "integer"},
        "status": STATUS,
        "amount": MONEY,
        "refunded": MONEY,
        "confirmationUrl": {"type": "string"},
        "createdAt": {"type": "string"},
        "settledAt": NULLABLE_STR,
        "customerId": {"type": "integer"},
        "gateway": {"type": "string"},
        "refunds": {"type": "array", "items": {"type": "object"}},
    },
}
# A gateway notification: only the event and the object's id are read; the rest is not believed.
NOTIFICATION = {
    "type": "object",
    "required": ["event", "object"],
    "properties": {
        "type": {"const": "notification"},
        "event": {
            "enum": [
                "payment.succeeded",
                "payment.waiting_for_capture",
                "payment.canceled",
                "refund.succeeded",
            ]
        },
        "object": {
            "type": "object",
            "required": ["id"],
            "properties": {"id": {"type": "string", "minLength": 1, "maxLength": 64}},
        },
    },
}


def payment_json(p: Payment) -> dict[str, Any]:
    return {
        "id": p.id,
        "status": p.status.value,
        "amount": codec.money(p.amount),
        "refunded": codec.money(p.refunded),
        "confirmationUrl": p.confirmation_url,
        "createdAt": codec.when(p.created_at),
        "settledAt": codec.when(p.settled_at),
        "customerId": p.customer_id,
        "gateway": p.gateway,
        "refunds": [
            {
                "id": r.gateway_refund_id,
                "amount": codec.money(r.amount),
                "status": r.status.value,
                "reason": r.reason,
                "createdAt": codec.when(r.created_at),
            }
            for r in p.refunds
        ],
    }


def _paged(items: list[Payment], page: Any, total: int) -> Any:
    return codec.page([payment_json(p) for p in items], page, total)


class Payments(Resource):
    spec = {
        "post": Op(
            "Top up: open a payment and pay it at its confirmationUrl",
            "payments",
            PAYMENT_START,
            PAYMENT,
            201,
            (400, 401, 409, 422, 502, 503),
            idempotent_key=True,
        ),
        "get": Op(
            "My payments, newest first", "payments", None, PAGE, 200, (400, 401), params=PAGE_PARAMS
        ),
    }

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        command = structure({**parse(req, PAYMENT_START), "requestKey": request_key(req)}, TopUp)
        who = actor(req)

        def handler() -> tuple[str, object]:
            found = payments.start_payment(self.rt, who, command)
            return falcon.HTTP_201, payment_json(found)

        run_once(self.rt, req, resp, who, handler)

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        page = page_of(req)
        items, total = payments.my_payments(self.rt, actor(req), page)
        set_json(resp, _paged(items, page, total))


class PaymentItem(Resource):
    spec = {"get": Op("One of my payments", "payments", None, PAYMENT, 200, (401, 404))}

    def on_get(self, req: falcon.Request, resp: falcon.Response, payment_id: int) -> None:
        set_json(resp, payment_json(payments.my_payment(self.rt, actor(req), payment_id)))


class AdminPayments(Resource):
    auth = "admin"
    spec = {
        "get": Op(
            "Every payment, newest first",
            "admin",
            None,
            PAGE,
            200,
            (400, 401, 403),
            params=(*PAGE_PARAMS, ("status", STATUS)),
        )
    }

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        page = page_of(req)
        items, total = payments.list_payments(self.rt, actor(req), page, req.get_param("status"))
        set_json(resp, _paged(items, page, total))


class AdminPaymentRefund(Resource):
    auth = "admin"
    spec = {
        "post": Op(
            "Refund a payment through the gateway: all that is left of it, or `amount`",
            "admin",
            REFUND,
            PAYMENT,
            200,
            (400, 401, 402, 403, 404, 409, 422, 502, 503),
            idempotent_key=True,
        )
    }

    def on_post(self, req: falcon.Request, resp: falcon.Response, payment_id: int) -> None:
        command = structure(
            {**parse(req, REFUND), "paymentId": payment_id, "requestKey": request_key(req)},
            RefundPayment,
        )
        who = actor(req)

        def handler() -> tuple[str, object]:
            after = payment_refunds.refund_payment(self.rt, who, command)
            return falcon.HTTP_200, payment_json(after)

        run_once(self.rt, req, resp, who, handler)


class YooKassaNotify(Resource):
    """Never trusted as sent: only from the gateway's published addresses, and then only as a
    name: the payment (or refund) is fetched from the gateway before anything moves."""

    auth = "public"
    spec = {
        "post": Op(
            "YooKassa's notifications (from its published addresses only)",
            "payments",
            NOTIFICATION,
            obj({"status": {"enum": ["settled", "ignored"]}}),
            200,
            (400, 403, 503),
        )
    }

    def __init__(self, runtime: Runtime, notify_from: tuple[str, ...]) -> None:
        super().__init__(runtime)
        self.allowed = parse_networks(notify_from)

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        source = client_of(req)
        if not _within(source, self.allowed):
            log.warning("a payment notification from %s, outside the gateway's ranges", source)
            raise ApiError(
                falcon.HTTP_403, "forbidden", "notifications are taken only from the gateway"
            )
        body = parse(req, NOTIFICATION)
        named = body["object"]["id"]
        try:
            if body["event"].startswith("refund."):
                payment_refunds.settle_refund(self.rt, named)
            else:
                payments.settle_payment(self.rt, named)
        except (NotFound, Conflict) as ex:
            # Not the gateway's word (or not our payment): nothing moved. 200 all the same, so
            # that the gateway does not repeat it for a day.
            log.warning("a payment notification for %s was ignored: %s", named, ex)
            set_json(resp, {"status": "ignored"})
            return
        set_json(resp, {"status": "settled"})


def _within(address: str, networks: tuple[Network, ...]) -> bool:
    # `client_of` gives the address already resolved (an IPv4 client over IPv6 as IPv4).
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip.version == n.version and ip in n for n in networks)
