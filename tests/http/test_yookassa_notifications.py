"""Top-ups through YooKassa (its simulator): a notification is never trusted as sent. Only the
gateway's published addresses are heard, and then only as a name: the payment is fetched from the
API before any money moves. Duplicated, reordered and forged notifications move nothing twice,
or nothing at all."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import attrs
import pytest
from api_support import SETTINGS, Api, User, assert_error

from entrypoints.payments_config import PaymentSettings, YooKassaSettings
from simulators.yookassa import YooKassaSimulator

NOTIFY = "/api/payments/yookassa/notify"
YOOKASSA_ADDRESS = "185.71.76.10"  # inside the published 185.71.76.0/27
STRANGER_ADDRESS = "203.0.113.7"


@pytest.fixture
def sim() -> Iterator[YooKassaSimulator]:
    with YooKassaSimulator("100500", "test_secret") as started:
        yield started


@pytest.fixture
def api(sim: YooKassaSimulator) -> Api:
    shop = YooKassaSettings("100500", "test_secret", sim.url, "https://oxnack.example/paid")
    return Api(attrs.evolve(SETTINGS, payments=PaymentSettings(yookassa=shop)))


def notify(api: Api, note: dict[str, Any], source: str = YOOKASSA_ADDRESS) -> Any:
    return api.post(NOTIFY, json=note, remote_addr=source)


def top_up(api: Api, sim: YooKassaSimulator, user: User, amount: str = "500.00") -> Any:
    created = api.post("/api/payments", user=user, json={"amount": amount})
    assert created.status_code == 201, created.text
    return created.json


def gateway_id(sim: YooKassaSimulator) -> str:
    return next(reversed(sim.shop.payments))


def test_a_paid_payment_is_credited_once_by_its_notifications(
    api: Api, sim: YooKassaSimulator
) -> None:
    user = api.customer(balance=None)
    payment = top_up(api, sim, user)
    assert payment["confirmationUrl"].startswith(sim.url.removesuffix("/v3") + "/checkout/")
    sim.buyer_pays(gateway_id(sim))
    notes = sim.take_notifications()
    assert [n["event"] for n in notes] == ["payment.succeeded"]
    for _ in range(3):  # YooKassa repeats a notification until it hears 200
        answer = notify(api, notes[0])
        assert answer.status_code == 200 and answer.json["status"] == "settled"
    assert api.balance(user) == "500.000000"
    assert api.get(f"/api/payments/{payment['id']}", user=user).json["status"] == "succeeded"


def test_a_forged_source_is_refused_and_moves_nothing(api: Api, sim: YooKassaSimulator) -> None:
    user = api.customer(balance=None)
    top_up(api, sim, user)
    sim.buyer_pays(gateway_id(sim))
    note = sim.take_notifications()[0]
    before = api.state()
    assert_error(notify(api, note, STRANGER_ADDRESS), 403, "forbidden")
    spoofed = api.post(
        NOTIFY,
        json=note,
        remote_addr=STRANGER_ADDRESS,
        headers={"X-Forwarded-For": YOOKASSA_ADDRESS},
    )
    assert_error(spoofed, 403, "forbidden")  # no trusted proxy: X-Forwarded-For is nobody's word
    assert api.state() == before
    assert api.balance(user) == "0.000000"


def test_a_notification_the_gateway_does_not_confirm_moves_nothing(
    api: Api, sim: YooKassaSimulator
) -> None:
    user = api.customer(balance=None)
    top_up(api, sim, user)
    unpaid = gateway_id(sim)
    forged_success = {
        "type": "notification",
        "event": "payment.succeeded",
        "object": {"id": unpaid, "status": "succeeded", "amount": {"value": "500.00"}},
    }
    assert notify(api, forged_success).status_code == 200  # the API says: still pending
    unknown = {**forged_success, "object": {"id": "2419a771-000f-5000-9000-1edaf29243f2"}}
    assert notify(api, unknown).json["status"] == "ignored"
    assert api.balance(user) == "0.000000"
    assert api.get("/api/payments", user=user).json["data"][0]["status"] == "pending"
    assert_error(notify(api, {"event": "payment.stolen", "object": {"id": unpaid}}), 400, "invalid")


def test_reordered_notifications_follow_the_gateway_not_the_order(
    api: Api, sim: YooKassaSimulator
) -> None:
    user = api.customer(balance=None)
    top_up(api, sim, user)
    paid_id = gateway_id(sim)
    sim.buyer_pays(paid_id)
    succeeded = sim.take_notifications()[0]
    stale = {"type": "notification", "event": "payment.canceled", "object": {"id": paid_id}}
    assert notify(api, stale).status_code == 200  # arrives first, but the API says succeeded
    assert notify(api, succeeded).status_code == 200
    assert api.balance(user) == "500.000000"
    top_up(api, sim, user, "200.00")
    gone = gateway_id(sim)
    sim.buyer_gives_up(gone)
    canceled = sim.take_notifications()[0]
    late_success = {"type": "notification", "event": "payment.succeeded", "object": {"id": gone}}
    for note in (late_success, canceled, late_success):
        assert notify(api, note).status_code == 200
    assert api.balance(user) == "500.000000"
    statuses = [p["status"] for p in api.get("/api/payments", user=user).json["data"]]
    assert statuses == ["canceled", "succeeded"]


def test_a_refund_debits_once(api: Api, sim: YooKassaSimulator, admin: User) -> None:
    user = api.customer(balance=None)
    payment = top_up(api, sim, user)
    sim.buyer_pays(gateway_id(sim))
    notify(api, sim.take_notifications()[0])
    refunded = api.post(
        f"/api/admin/payments/{payment['id']}/refund",
        user=admin,
        json={"amount": "120.00", "reason": "asked"},
    )
    assert refunded.status_code == 200, refunded.text
    assert api.balance(user) == "380.000000"
    note = sim.take_notifications()[0]
    assert note["event"] == "refund.succeeded"
    for _ in range(2):
        assert notify(api, note).status_code == 200
    assert api.balance(user) == "380.000000"
    types = [t["type"] for t in api.get("/api/transactions", user=user).json["data"]]
    assert types == ["payment_refund", "payment"]


def test_the_gateway_down_while_confirming_is_503_so_it_is_sent_again(
    api: Api, sim: YooKassaSimulator
) -> None:
    user = api.customer(balance=None)
    top_up(api, sim, user)
    sim.buyer_pays(gateway_id(sim))
    note = sim.take_notifications()[0]
    sim.fail_next(500)
    assert notify(api, note).status_code == 503
    assert api.balance(user) == "0.000000"
    assert notify(api, note).status_code == 200
    assert api.balance(user) == "500.000000"


def test_no_checkout_page_without_the_sandbox(api: Api) -> None:
    assert api.get("/sandbox/checkout/anything").status_code == 404


def test_the_reconciliation_credits_a_payment_never_notified_exactly_once(
    api: Api, sim: YooKassaSimulator
) -> None:
    import datetime as dt

    from entrypoints.scheduler.ticks import TICKS

    tick = next(t for t in TICKS if t.name == "payments")
    user = api.customer(balance=None)
    top_up(api, sim, user)
    sim.buyer_pays(gateway_id(sim))
    late = sim.take_notifications()[0]  # lost on its way
    api.clock.advance(dt.timedelta(minutes=11))
    assert tick(api.rt).settled == 1  # type: ignore[attr-defined]
    assert tick(api.rt).settled == 0  # type: ignore[attr-defined]
    assert notify(api, late).status_code == 200  # arrives after all
    assert api.balance(user) == "500.000000"
    credits = [t for t in api.get("/api/transactions", user=user).json["data"]]
    assert [t["type"] for t in credits] == ["payment"]


def test_a_payment_left_waiting_for_capture_is_captured_and_credited(
    api: Api, sim: YooKassaSimulator
) -> None:
    user = api.customer(balance=None)
    top_up(api, sim, user)
    two_stage = gateway_id(sim)
    sim.shop.payments[two_stage]["_capture"] = False  # as if the shop captured by hand
    sim.buyer_pays(two_stage)
    [waiting] = sim.take_notifications()
    assert waiting["event"] == "payment.waiting_for_capture"
    assert notify(api, waiting).json["status"] == "settled"
    assert sim.shop.payments[two_stage]["status"] == "succeeded"
    assert api.balance(user) == "500.000000"
    assert [n["event"] for n in sim.take_notifications()] == ["payment.succeeded"]


def test_a_refund_pending_at_the_gateway_debits_when_it_succeeds(
    api: Api, sim: YooKassaSimulator, admin: User
) -> None:
    import datetime as dt

    from entrypoints.scheduler.ticks import TICKS

    user = api.customer(balance=None)
    payment = top_up(api, sim, user)
    sim.buyer_pays(gateway_id(sim))
    notify(api, sim.take_notifications()[0])
    sim.shop.hold_refunds = True
    path = f"/api/admin/payments/{payment['id']}/refund"
    first = api.post(path, user=admin, json={"amount": "100.00", "reason": "asked"})
    assert first.json["refunds"][0]["status"] == "pending"
    assert api.balance(user) == "500.000000"  # nothing has left yet
    # what a pending refund reserves cannot be refunded twice
    assert_error(
        api.post(path, user=admin, json={"amount": "400.01", "reason": "x" * 3}),
        422,
        "rule_violation",
    )
    second = api.post(path, user=admin, json={"amount": "50.00", "reason": "asked"})
    [held_one, held_two] = [r["id"] for r in second.json["refunds"]]
    sim.finish_refund(held_one)
    assert notify(api, sim.take_notifications()[0]).status_code == 200
    assert api.balance(user) == "400.000000"
    sim.finish_refund(held_two, "canceled")  # no notification: the reconciliation finds it
    api.clock.advance(dt.timedelta(minutes=1))
    report = next(t for t in TICKS if t.name == "payments")(api.rt)
    assert report.refunds_settled == 1  # type: ignore[attr-defined]
    after = api.get(f"/api/payments/{payment['id']}", user=user).json
    assert [r["status"] for r in after["refunds"]] == ["succeeded", "canceled"]
    assert after["refunded"]["amount"] == "100.00"
    assert api.balance(user) == "400.000000"


def test_a_gateway_down_when_opening_is_503_and_the_same_key_then_opens_one(
    api: Api, sim: YooKassaSimulator
) -> None:
    user = api.customer(balance=None)
    sim.fail_next(500)
    key = {"Idempotency-Key": "top-up-7"}
    down = api.post("/api/payments", user=user, json={"amount": "500.00"}, headers=key)
    assert_error(down, 503, "unavailable")
    assert api.get("/api/payments", user=user).json["data"] == []
    for _ in range(2):
        opened = api.post("/api/payments", user=user, json={"amount": "500.00"}, headers=key)
        assert opened.status_code == 201
    assert len(sim.shop.payments) == 1
