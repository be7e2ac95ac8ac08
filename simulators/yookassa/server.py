"""A YooKassa API v3 on loopback: `YooKassaSimulator(shop_id, secret_key).start()`, then `.url`
(the API base, ending in /v3) for the adapter.

Requests are checked as YooKassa checks them: HTTP Basic auth with the shop id and secret key (401
invalid_credentials), JSON bodies, Idempotence-Key on every write, 404 not_found for an unknown id
(or an unknown path). `fail_next(status)` makes the next requests answer 500, 429 or 202 (the
"still processing, repeat" answer). The buyer's acts are `buyer_pays(id)` and `buyer_gives_up(id)`,
or the page at `confirmation_url` (Pay / Cancel). Notifications wait in `notifications` in the
order things happened; `take_notifications()` hands them to a test to deliver (again, out of
order, as it likes), `deliver(url)` posts them as YooKassa does.
"""

from __future__ import annotations

import base64
import json
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from .model import Shop, YooKassaError


class _Server(ThreadingHTTPServer):
    daemon_threads = True


class YooKassaSimulator:
    def __init__(self, shop_id: str = "100500", secret_key: str = "test_secret") -> None:
        self.shop_id, self.secret_key = shop_id, secret_key
        self.lock = threading.Lock()
        self.shop = Shop("")
        self.requests: list[tuple[str, str, str | None]] = []  # method, path, Idempotence-Key
        self._faults: list[int] = []
        self._server: _Server | None = None

    # --- life ----------------------------------------------------------------------------------
    def start(self) -> YooKassaSimulator:
        self._server = _Server(("127.0.0.1", 0), _handler(self))
        host, port = self._server.server_address[:2]
        self.shop.checkout_base = f"http://{host!s}:{port}"
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> YooKassaSimulator:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"{self.shop.checkout_base}/v3"

    # --- controls ------------------------------------------------------------------------------
    def fail_next(self, status: int, times: int = 1) -> None:
        with self.lock:
            self._faults.extend([status] * times)

    def buyer_pays(self, payment_id: str) -> dict[str, Any]:
        with self.lock:
            return self.shop.buyer_pays(payment_id)

    def buyer_gives_up(self, payment_id: str) -> dict[str, Any]:
        with self.lock:
            return self.shop.buyer_gives_up(payment_id)

    def finish_refund(self, refund_id: str, status: str = "succeeded") -> dict[str, Any]:
        with self.lock:
            return self.shop.finish_refund(refund_id, status)

    def take_notifications(self) -> list[dict[str, Any]]:
        with self.lock:
            taken, self.shop.notifications = self.shop.notifications, []
            return taken

    def deliver(self, url: str) -> list[int]:
        """POST every queued notification to `url`, as YooKassa does; the statuses answered."""
        statuses = []
        for note in self.take_notifications():
            request = urllib.request.Request(
                url,
                data=json.dumps(note).encode(),
                headers={"Content-Type": "application/json"},
                method="POST",
            )
            try:
                with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
                    statuses.append(answer.status)
            except urllib.error.HTTPError as ex:
                statuses.append(ex.code)
        return statuses

    # --- serving -------------------------------------------------------------------------------
    def answer(
        self, method: str, path: str, headers: Any, raw: bytes
    ) -> tuple[int, dict[str, Any]]:
        key = headers.get("Idempotence-Key")
        with self.lock:
            self.requests.append((method, path, key))
            if not self._authorized(headers.get("Authorization") or ""):
                raise YooKassaError(401, "Login and password are invalid", "Authorization")
            if self._faults:
                fault = self._faults.pop(0)
                if fault == 202:
                    return 202, {"type": "processing", "description": "repeat", "retry_after": 50}
                raise YooKassaError(fault, "Simulated failure")
            body: Any = None
            if method == "POST":
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    raise YooKassaError(400, "Request body is not valid JSON") from None
            shop, fingerprint = self.shop, f"{method} {path} {raw!r}"
            parts = [unquote(p) for p in path.split("/") if p]
            match method, parts:
                case "POST", ["v3", "payments"]:
                    return shop.once(key, fingerprint, lambda: shop.create_payment(body))
                case "GET", ["v3", "payments", payment_id]:
                    return 200, shop.view(shop.payment(payment_id))
                case "POST", ["v3", "payments", payment_id, "capture"]:
                    return shop.once(key, fingerprint, lambda: shop.capture(payment_id, body))
                case "POST", ["v3", "payments", payment_id, "cancel"]:
                    return shop.once(key, fingerprint, lambda: shop.cancel(payment_id))
                case "POST", ["v3", "refunds"]:
                    return shop.once(key, fingerprint, lambda: shop.create_refund(body))
                case "GET", ["v3", "refunds", refund_id]:
                    return 200, shop.refund(refund_id)
            raise YooKassaError(404, "Resource not found")

    def _authorized(self, header: str) -> bool:
        scheme, _, encoded = header.partition(" ")
        try:
            sent = base64.b64decode(encoded, validate=True).decode()
        except (ValueError, UnicodeDecodeError):
            return False
        return scheme.lower() == "basic" and sent == f"{self.shop_id}:{self.secret_key}"


def _page(payment: dict[str, Any]) -> bytes:
    buttons = ""
    if payment["status"] == "pending":
        buttons = (
            '<form method="post"><button name="act" value="pay">Pay</button>'
            '<button name="act" value="cancel">Cancel</button></form>'
        )
    amount = payment["amount"]
    return (
        f"<!doctype html><title>YooKassa (simulated)</title><p>{amount['value']} "
        f"{amount['currency']}</p><p>{payment['status']}</p>{buttons}"
    ).encode()


def _handler(sim: YooKassaSimulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "YooKassa-simulator"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
            pass

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

        def _handle(self, method: str) -> None:
            path = urlsplit(self.path).path.rstrip("/")
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if path.startswith("/checkout/"):
                self._checkout(method, path.removeprefix("/checkout/"), raw)
                return
            try:
                status, body = sim.answer(method, path, self.headers, raw)
            except YooKassaError as error:
                status, body = error.status, error.body()
            self._send(status, json.dumps(body).encode(), "application/json")

        def _checkout(self, method: str, payment_id: str, raw: bytes) -> None:
            act = parse_qs(raw.decode()).get("act", [""])[0]
            try:
                if method == "POST" and act == "pay":
                    sim.buyer_pays(payment_id)
                elif method == "POST" and act == "cancel":
                    sim.buyer_gives_up(payment_id)
                with sim.lock:
                    page = _page(sim.shop.view(sim.shop.payment(payment_id)))
            except YooKassaError:
                self._send(404, b"no such payment", "text/plain")
                return
            self._send(200, page, "text/html; charset=utf-8")

        def _send(self, status: int, data: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler
