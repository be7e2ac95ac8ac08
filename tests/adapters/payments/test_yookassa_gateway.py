"""The YooKassa adapter on the simulator: the wire format, idempotence, and errors mapped to the
domain's (NotFound, Unavailable, ExternalFailure)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from adapters.payments.yookassa import YooKassaGateway
from domain.model.errors import ExternalFailure, NotFound, Unavailable
from domain.model.money import Money
from ports.payments import PaymentRequest
from simulators.yookassa import YooKassaSimulator

RUB_500 = Money.parse("500.00", "RUB")


@pytest.fixture
def sim() -> Iterator[YooKassaSimulator]:
    with YooKassaSimulator("100500", "test_secret") as started:
        yield started


@pytest.fixture
def gateway(sim: YooKassaSimulator) -> Iterator[YooKassaGateway]:
    made = YooKassaGateway("100500", "test_secret", url=sim.url, return_url="https://s.example/")
    yield made
    made.close()


def request(key: str = "a" * 64) -> PaymentRequest:
    return PaymentRequest(RUB_500, key, "Top-up of account 7", 7)


def test_create_fetch_and_the_buyer_paying(
    sim: YooKassaSimulator, gateway: YooKassaGateway
) -> None:
    created = gateway.create(request())
    assert (created.status, created.amount, created.customer_id) == ("pending", RUB_500, 7)
    assert created.confirmation_url.startswith(sim.url.removesuffix("/v3") + "/checkout/")
    assert gateway.create(request()) == created  # the same key: the same payment
    stored = sim.shop.payments[created.id]
    assert (stored["_capture"], stored["confirmation"]["return_url"]) == (
        True,
        "https://s.example/",
    )
    assert sim.requests[0][2] == "a" * 64
    sim.buyer_pays(created.id)
    assert gateway.fetch(created.id).status == "succeeded"


def test_refunds(sim: YooKassaSimulator, gateway: YooKassaGateway) -> None:
    created = gateway.create(request())
    sim.buyer_pays(created.id)
    refund = gateway.refund(created.id, Money.parse("100.00", "RUB"), "r" * 64)
    assert (refund.status, refund.payment_id) == ("succeeded", created.id)
    assert gateway.fetch_refund(refund.id) == refund
    with pytest.raises(ExternalFailure):
        gateway.refund(created.id, RUB_500, "s" * 64)


def test_errors(sim: YooKassaSimulator, gateway: YooKassaGateway) -> None:
    with pytest.raises(NotFound):
        gateway.fetch("2419a771-000f-5000-9000-1edaf29243f2")
    with pytest.raises(NotFound):  # an id from a forged notification stays one path segment
        gateway.fetch("../refunds/x")
    sim.fail_next(500)
    with pytest.raises(Unavailable):
        gateway.fetch("x")
    sim.fail_next(429)
    with pytest.raises(Unavailable):
        gateway.fetch("x")
    sim.fail_next(202)  # still processing: the same request is sent again, and answered
    assert gateway.create(request("b" * 64)).status == "pending"
    keys = [key for method, _, key in sim.requests if method == "POST"]
    assert keys[-2:] == ["b" * 64, "b" * 64]
    wrong = YooKassaGateway("100500", "wrong", url=sim.url, return_url="https://s.example/")
    with pytest.raises(ExternalFailure) as refused:
        wrong.fetch("x")
    assert not isinstance(refused.value, Unavailable)
    down = YooKassaGateway(
        "1", "2", url="http://127.0.0.1:9/v3", return_url="https://s/", timeout=2
    )
    with pytest.raises(Unavailable):
        down.fetch("x")
