"""PromoCodeRepository: unique codes and atomic redemption limits."""

from __future__ import annotations

import threading

import pytest

from domain.model.errors import AlreadyExists, NotFound, PromoCodeRejected
from ports.paging import Page
from ports.promos import Redemption

from . import builders as b


def use(code_id: int, customer_id: int, reference: str = "balance") -> Redemption:
    return Redemption(code_id, customer_id, reference, b.T0)


def seeded(uow_factory, **kw) -> None:
    with uow_factory() as uow:
        uow.promos.add(b.promo(1, "SPRING", **kw))
        uow.commit()


def test_add_get_by_code_update_list(uow_factory):
    with uow_factory() as uow:
        uow.promos.add(b.promo(1, "SPRING"))
        uow.promos.add(b.promo(2, "SUMMER"))
        with pytest.raises(AlreadyExists):
            uow.promos.add(b.promo(3, "SPRING"))
        uow.promos.update(b.evolve(uow.promos.get(2), active=False))
        uow.commit()
    with uow_factory() as uow:
        assert uow.promos.by_code("SPRING").id == 1
        assert uow.promos.by_code("AUTUMN") is None
        assert uow.promos.get(2).active is False
        codes, total = uow.promos.list(Page(1, 10))
        assert total == 2 and [c.code for c in codes] == ["SPRING", "SUMMER"]


def test_redeem_counts_uses_and_records_the_redemption(uow_factory):
    seeded(uow_factory, max_uses=5, max_uses_per_customer=2)
    with uow_factory() as uow:
        after = uow.promos.redeem(1, use(1, 10, "server:1"))
        assert after.uses == 1
        uow.promos.redeem(1, use(1, 10, "server:2"))
        uow.commit()
    with uow_factory() as uow:
        assert uow.promos.get(1).uses == 2
        assert uow.promos.uses_by(1, 10) == 2
        assert uow.promos.uses_by(1, 11) == 0


def test_redeem_refuses_beyond_the_total(uow_factory):
    seeded(uow_factory, max_uses=2)
    with uow_factory() as uow:
        uow.promos.redeem(1, use(1, 10))
        uow.promos.redeem(1, use(1, 11))
        with pytest.raises(PromoCodeRejected) as refused:
            uow.promos.redeem(1, use(1, 12))
        assert refused.value.reason == "exhausted"
        assert uow.promos.get(1).uses == 2


def test_redeem_refuses_beyond_the_per_customer_limit(uow_factory):
    seeded(uow_factory)  # one use per customer
    with uow_factory() as uow:
        uow.promos.redeem(1, use(1, 10, "server:1"))
        with pytest.raises(PromoCodeRejected) as refused:
            uow.promos.redeem(1, use(1, 10, "server:2"))
        assert refused.value.reason == "already_used"
        assert uow.promos.uses_by(1, 10) == 1


def test_redeem_of_an_unknown_code_is_not_found(uow_factory):
    with uow_factory() as uow, pytest.raises(NotFound):
        uow.promos.redeem(9, use(9, 10))


def test_give_back_undoes_a_redemption_once(uow_factory):
    seeded(uow_factory, max_uses=1)
    with uow_factory() as uow:
        uow.promos.redeem(1, use(1, 10, "server:1"))
        uow.commit()
    with uow_factory() as uow:
        uow.promos.give_back(1, 10, "server:1")
        uow.promos.give_back(1, 10, "server:1")  # nothing left to give back
        uow.promos.give_back(1, 10, "server:unknown")
        uow.commit()
    with uow_factory() as uow:
        assert uow.promos.get(1).uses == 0
        assert uow.promos.uses_by(1, 10) == 0
        uow.promos.redeem(1, use(1, 11, "server:2"))  # the use is free again
        uow.commit()


def test_rollback_undoes_a_redemption(uow_factory):
    seeded(uow_factory, max_uses=1)
    with uow_factory() as uow:
        uow.promos.redeem(1, use(1, 10))
    with uow_factory() as uow:
        assert uow.promos.get(1).uses == 0 and uow.promos.uses_by(1, 10) == 0


def race(uow_factory, customers: list[int]) -> list[str]:
    outcomes: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(len(customers))

    def order(n: int, customer: int) -> None:
        start.wait()
        try:
            with uow_factory() as uow:
                uow.promos.redeem(1, use(1, customer, f"server:{n}"))
                uow.commit()
            result = "ok"
        except PromoCodeRejected as ex:
            result = ex.reason
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=order, args=(n, c)) for n, c in enumerate(customers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def test_twenty_racing_orders_use_a_three_use_code_exactly_three_times(uow_factory):
    seeded(uow_factory, max_uses=3)
    outcomes = race(uow_factory, list(range(100, 120)))
    assert outcomes.count("ok") == 3
    assert outcomes.count("exhausted") == 17
    with uow_factory() as uow:
        assert uow.promos.get(1).uses == 3


def test_one_customer_racing_itself_uses_a_code_once(uow_factory):
    seeded(uow_factory, max_uses=100)
    outcomes = race(uow_factory, [7] * 10)
    assert outcomes.count("ok") == 1
    assert outcomes.count("already_used") == 9
