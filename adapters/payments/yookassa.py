"""YooKassa, API v3 (https://yookassa.ru/developers/api), on `requests`.

HTTP Basic auth with the shop id and secret key; JSON bodies; an `Idempotence-Key` on every
request that creates or changes something, so that a retry after a lost answer is the same
request to YooKassa. Payments are one-stage (`capture: true`) with a redirect confirmation: the
buyer pays at `confirmation.confirmation_url` and comes back to the return URL.

Errors: a refused connection, a timeout, 429 and 5xx are Unavailable (retry later); 202 ("still
processing, repeat the same request") is repeated here a few times, then Unavailable; 404 is
NotFound (an id YooKassa does not know, or will not show this shop); any other refusal is an
ExternalFailure carrying YooKassa's code and description.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

import requests

from domain.model.errors import ExternalFailure, NotFound, Unavailable
from domain.model.money import Money
from ports.payments import GatewayPayment, GatewayRefund, PaymentRequest

USER_AGENT = "hostprovider/1 (YooKassa API v3 over requests)"
_REPEATS_OF_202 = 3


class YooKassaGateway:
    name = "yookassa"

    def __init__(
        self,
        shop_id: str,
        secret_key: str,
        *,
        url: str,
        return_url: str,
        notify_from: tuple[str, ...] = (),
        timeout: float = 10.0,
        session: requests.Session | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.return_url = return_url
        # Where notifications may come from (CIDRs): the notification route checks them.
        self.notify_from = notify_from
        self._timeout = timeout
        self._session = session or requests.Session()
        self._session.auth = (shop_id, secret_key)
        self._session.headers["YM-User-Agent"] = USER_AGENT

    def create(self, request: PaymentRequest) -> GatewayPayment:
        body = {
            "amount": _amount(request.amount),
            "capture": True,
            "confirmation": {"type": "redirect", "return_url": self.return_url},
            "description": request.description[:128],
            "metadata": {"customer_id": str(request.customer_id)},
        }
        return _payment(self._call("POST", "/payments", body, request.idempotence_key))

    def fetch(self, payment_id: str) -> GatewayPayment:
        return _payment(self._call("GET", f"/payments/{_id(payment_id)}"))

    def capture(self, payment_id: str, amount: Money, idempotence_key: str) -> GatewayPayment:
        path = f"/payments/{_id(payment_id)}/capture"
        return _payment(self._call("POST", path, {"amount": _amount(amount)}, idempotence_key))

    def refund(self, payment_id: str, amount: Money, idempotence_key: str) -> GatewayRefund:
        body = {"payment_id": payment_id, "amount": _amount(amount)}
        return _refund(self._call("POST", "/refunds", body, idempotence_key))

    def fetch_refund(self, refund_id: str) -> GatewayRefund:
        return _refund(self._call("GET", f"/refunds/{_id(refund_id)}"))

    def close(self) -> None:
        self._session.close()

    def _call(
        self, method: str, path: str, body: dict[str, Any] | None = None, key: str | None = None
    ) -> dict[str, Any]:
        headers = {"Idempotence-Key": key} if key is not None else {}
        for _ in range(_REPEATS_OF_202):
            try:
                answer = self._session.request(
                    method, self.url + path, json=body, headers=headers, timeout=self._timeout
                )
            except requests.RequestException as ex:
                raise Unavailable("YooKassa cannot be reached", reason=type(ex).__name__) from None
            if answer.status_code != 202:
                return _checked(answer)
            # "Still processing": the same request (same key) again, after the wait it asks for.
            time.sleep(min(_retry_after(answer), 2.0))
        raise Unavailable("YooKassa is still processing the request", retry_after=2)


def _checked(answer: requests.Response) -> dict[str, Any]:
    try:
        data = answer.json()
    except ValueError:
        data = None
    if answer.ok and isinstance(data, dict):
        return data
    error = data if isinstance(data, dict) else {}
    code, text = str(error.get("code", "")), str(error.get("description", ""))[:200]
    if answer.status_code == 404:
        raise NotFound("payment", "at YooKassa")
    if answer.status_code == 429 or answer.status_code >= 500 or answer.ok:
        raise Unavailable(f"YooKassa answered {answer.status_code}", code=code, retry_after=5)
    raise ExternalFailure(
        f"YooKassa refused the request: {text or answer.status_code}",
        code=code,
        parameter=str(error.get("parameter", "")),
    )


def _retry_after(answer: requests.Response) -> float:
    try:
        return max(float(answer.json().get("retry_after", 1000)) / 1000, 0.05)
    except (ValueError, AttributeError, TypeError):
        return 1.0


def _id(value: str) -> str:
    # An id may come from a notification anyone could have sent: it is one path segment, always.
    return quote(value, safe="")


def _amount(value: Money) -> dict[str, str]:
    return {"value": value.format(2), "currency": value.currency}


def _money(data: Any) -> Money:
    if not isinstance(data, dict):
        raise ExternalFailure("YooKassa answered an object without an amount")
    return Money.parse(str(data.get("value", "")), str(data.get("currency", "")))


def _payment(data: dict[str, Any]) -> GatewayPayment:
    confirmation = data.get("confirmation") or {}
    metadata = data.get("metadata") or {}
    customer = str(metadata.get("customer_id", ""))
    return GatewayPayment(
        id=str(data.get("id", "")),
        status=str(data.get("status", "")),
        amount=_money(data.get("amount")),
        confirmation_url=str(confirmation.get("confirmation_url", "")),
        customer_id=int(customer) if customer.isdigit() else None,
    )


def _refund(data: dict[str, Any]) -> GatewayRefund:
    return GatewayRefund(
        id=str(data.get("id", "")),
        payment_id=str(data.get("payment_id", "")),
        status=str(data.get("status", "")),
        amount=_money(data.get("amount")),
    )
