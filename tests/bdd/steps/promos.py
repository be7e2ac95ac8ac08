"""Promo codes as an administrator sets them up, and as customers use them."""

from __future__ import annotations

import datetime as dt
import threading

import attrs
from pytest_bdd import given, parsers, then, when

from domain.model.commands import PromoDraft
from domain.model.promo import PromoCode
from domain.model.server import ServerStatus
from domain.model.values import PromoCodeText
from domain.usecases import ordering, promos, servers

from .common import NAME, Outcome, Shop, attempt, code_of
from .servers import tariff_order

CODE = r'"(?P<code>[^"]+)"'


def stored_code(shop: Shop, code: str) -> PromoCode:
    with shop.store.uow() as uow:
        found = uow.promos.by_code(code)
    assert found is not None, f"no promo code {code}"
    return found


def draft_of(code: PromoCode) -> PromoDraft:
    return PromoDraft(
        code=code.code,
        kind=code.kind.value,
        percent=code.percent,
        amount=code.amount.format(6) if code.amount is not None else None,
        duration=code.duration.value,
        duration_days=code.duration_days,
        valid_from=code.valid_from,
        valid_until=code.valid_until,
        max_uses=code.max_uses,
        max_uses_per_customer=code.max_uses_per_customer,
        tariff_ids=tuple(sorted(code.tariff_ids)),
        location_ids=tuple(sorted(code.location_ids)),
        active=code.active,
    )


def change_code(shop: Shop, code: str, **changes: object) -> None:
    current = stored_code(shop, code)
    promos.update_promo(shop.rt, shop.admin, current.id, attrs.evolve(draft_of(current), **changes))


# --- an administrator's codes --------------------------------------------------------------------


@given(parsers.re(rf"^a promo code {CODE} for (?P<percent>\d+)% off the first charge$"))
def _percent_first(shop: Shop, code: str, percent: str) -> None:
    promos.create_promo(
        shop.rt, shop.admin, PromoDraft(code=code, kind="percent", percent=int(percent))
    )


@given(parsers.re(rf"^a promo code {CODE} for (?P<percent>\d+)% off for (?P<days>\d+) days$"))
def _percent_days(shop: Shop, code: str, percent: str, days: str) -> None:
    promos.create_promo(
        shop.rt,
        shop.admin,
        PromoDraft(
            code=code,
            kind="percent",
            percent=int(percent),
            duration="days",
            duration_days=int(days),
        ),
    )


@given(parsers.re(rf"^a promo code {CODE} for (?P<percent>\d+)% off forever$"))
def _percent_forever(shop: Shop, code: str, percent: str) -> None:
    promos.create_promo(
        shop.rt,
        shop.admin,
        PromoDraft(code=code, kind="percent", percent=int(percent), duration="forever"),
    )


@given(parsers.re(rf"^a promo code {CODE} for (?P<value>\d+\.\d+) off the first charge$"))
def _fixed(shop: Shop, code: str, value: str) -> None:
    promos.create_promo(shop.rt, shop.admin, PromoDraft(code=code, kind="fixed", amount=value))


@given(parsers.re(rf"^a promo code {CODE} that credits (?P<value>\d+\.\d+) to the balance$"))
def _bonus(shop: Shop, code: str, value: str) -> None:
    promos.create_promo(shop.rt, shop.admin, PromoDraft(code=code, kind="bonus", amount=value))


@given(
    parsers.re(rf"^the code {CODE} is valid (?P<edge>from|until) (?P<day>\d{{4}}-\d{{2}}-\d{{2}})$")
)
def _validity(shop: Shop, code: str, edge: str, day: str) -> None:
    moment = dt.datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=dt.UTC)
    change_code(shop, code, **{"valid_from" if edge == "from" else "valid_until": moment})


@given(parsers.re(rf"^the code {CODE} can be used (?P<count>\d+) times? in total$"))
def _total_uses(shop: Shop, code: str, count: str) -> None:
    change_code(shop, code, max_uses=int(count))


@given(parsers.re(rf'^the code {CODE} only applies to the "(?P<tariff>[^"]+)" tariff$'))
def _tariff_scope(shop: Shop, code: str, tariff: str) -> None:
    change_code(shop, code, tariff_ids=(shop.tariff(tariff).id,))


@given(parsers.re(rf"^the code {CODE} only applies in (?P<city>[A-Z][a-z]+(?: [A-Z][a-z]+)*)$"))
def _location_scope(shop: Shop, code: str, city: str) -> None:
    change_code(shop, code, location_ids=(shop.location(city).id,))


@given(parsers.re(rf"^the code {CODE} has been deactivated$"))
def _deactivated(shop: Shop, code: str) -> None:
    promos.deactivate_promo(shop.rt, shop.admin, stored_code(shop, code).id)


@then(parsers.re(rf"^the promo code {CODE} has been used (?P<count>\d+) times?$"))
def _uses(shop: Shop, code: str, count: str) -> None:
    assert stored_code(shop, code).uses == int(count)


# --- customers using codes -----------------------------------------------------------------------


@when(parsers.re(rf"^{NAME} redeems the promo code {CODE}$"), target_fixture="outcome")
def _redeem(shop: Shop, name: str, code: str) -> Outcome:
    return attempt(
        lambda: promos.redeem_bonus(shop.rt, shop.customer(name).actor, PromoCodeText(code))
    )


@when(
    parsers.re(
        r"^(?P<first>[A-Z][a-z]+) and (?P<second>[A-Z][a-z]+) "
        r'order a "(?P<tariff>[^"]+)" server in '
        rf"(?P<city>[A-Z][a-z]+) with promo code {CODE} at the same moment$"
    ),
    target_fixture="race",
)
def _race(shop: Shop, first: str, second: str, tariff: str, city: str, code: str) -> list[Outcome]:
    """Both orders start together on their own threads; the store decides who gets the code."""
    names = (first, second)
    requests = {n: tariff_order(shop, tariff, f"{n.lower()}-1", city, code) for n in names}
    outcomes: dict[str, Outcome] = {}
    ready = threading.Barrier(len(names))

    def order(name: str) -> None:
        ready.wait()
        outcomes[name] = attempt(
            lambda: ordering.create_server(shop.rt, shop.customer(name).actor, requests[name])
        )

    threads = [threading.Thread(target=order, args=(n,)) for n in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert set(outcomes) == set(names), "an order thread did not finish"
    return [outcomes[n] for n in names]


@then("exactly one of the two orders is accepted")
def _one_winner(race: list[Outcome]) -> None:
    assert [o.accepted for o in race].count(True) == 1, race


@then(parsers.re(r"^the other order is refused as (?P<words>[a-z ]+)$"))
def _loser(race: list[Outcome], words: str) -> None:
    (loser,) = [o for o in race if not o.accepted]
    assert loser.error is not None and loser.error.code == code_of(words), loser.error


@then("exactly one server was created with the discount")
def _one_discounted_server(shop: Shop, race: list[Outcome]) -> None:
    (winner,) = [o.value for o in race if o.accepted]
    made = [s for c in shop.customers.values() for s in servers.list_servers(shop.rt, c.actor)]
    assert [s.id for s in made] == [winner.server.id]
    assert made[0].promo_code == winner.server.promo_code is not None
    assert made[0].status is ServerStatus.RUNNING
