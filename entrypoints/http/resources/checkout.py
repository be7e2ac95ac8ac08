"""/sandbox/checkout/{id}: the sandbox's stand-in for a payment provider's page.

Without a gateway configured, a top-up's confirmationUrl points here: an HTML form with Pay and
Cancel that post back to the same address. A post is the buyer's act at the "gateway"; it then
settles the payment exactly as a notification would (the gateway's word, fetched), so posting the
page again, or from two tabs at once, credits once. Public like a provider's page: the id is an
unguessable UUID, and the page shows nothing but the amount.
"""

from __future__ import annotations

import html
from urllib.parse import parse_qs

import falcon

from adapters.payments.sandbox import Checkout, SandboxGateway
from domain.model.errors import NotFound
from domain.usecases.payments import settle_payment
from domain.usecases.runtime import Runtime
from entrypoints.http.body import raw_body
from entrypoints.http.resources.base import Resource

_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
)
_SAID = {
    "pending": "Waiting for your payment.",
    "succeeded": "Paid. The amount is on your balance.",
    "canceled": "Canceled. Nothing was charged.",
}


class SandboxCheckout(Resource):
    auth = "public"
    spec: dict = {}  # a page for people, not an API operation: outside the document

    def __init__(self, runtime: Runtime, gateway: SandboxGateway) -> None:
        super().__init__(runtime)
        self.gateway = gateway

    def on_get(self, req: falcon.Request, resp: falcon.Response, checkout_id: str) -> None:
        try:
            found = self.gateway.checkout(checkout_id)
        except NotFound:
            _page(resp, falcon.HTTP_404, "No such payment", "<p>This payment does not exist.</p>")
            return
        _page(resp, falcon.HTTP_200, "Sandbox checkout", _form(found))

    def on_post(self, req: falcon.Request, resp: falcon.Response, checkout_id: str) -> None:
        form = parse_qs(raw_body(req).decode("utf-8", "replace"))
        decision = (form.get("decision") or [""])[0]
        if decision not in ("pay", "cancel"):
            _page(resp, falcon.HTTP_400, "Sandbox checkout", "<p>Choose Pay or Cancel.</p>")
            return
        try:
            if decision == "pay":
                self.gateway.pay(checkout_id)
            else:
                self.gateway.cancel(checkout_id)
            settle_payment(self.rt, checkout_id)
            found = self.gateway.checkout(checkout_id)
        except NotFound:
            _page(resp, falcon.HTTP_404, "No such payment", "<p>This payment does not exist.</p>")
            return
        _page(resp, falcon.HTTP_200, "Sandbox checkout", _form(found))


def _form(checkout: Checkout) -> str:
    amount = html.escape(f"{checkout.amount.format()} {checkout.amount.currency}")
    said = html.escape(_SAID.get(checkout.status, checkout.status))
    buttons = ""
    if checkout.status == "pending":
        buttons = (
            '<form method="post">'
            '<button type="submit" name="decision" value="pay" id="pay">Pay</button> '
            '<button type="submit" name="decision" value="cancel" id="cancel">Cancel</button>'
            "</form>"
        )
    return (
        f'<p>Top-up of <strong id="amount">{amount}</strong></p>'
        f'<p id="status" data-status="{html.escape(checkout.status)}">{said}</p>{buttons}'
        "<p><small>Sandbox: no real money moves.</small></p>"
    )


def _page(resp: falcon.Response, status: str, title: str, body: str) -> None:
    resp.status = status
    resp.content_type = falcon.MEDIA_HTML
    resp.set_header("Content-Security-Policy", _POLICY)
    resp.text = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;max-width:30em;margin:3em auto}</style>"
        f"</head><body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
