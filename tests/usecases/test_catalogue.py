"""The catalogue and quotes, and the signed quote an order must match."""

from __future__ import annotations

import base64
import datetime as dt
import json

import attrs
import pytest

from domain.model.commands import OrderRequest, PromoDraft
from domain.model.errors import (
    NotFound,
    PromoCodeRejected,
    QuoteRejected,
    RuleViolation,
    ValidationError,
)
from domain.model.ledger import TxKind
from domain.model.money import Money
from domain.model.pricing import sign_quote
from domain.usecases import catalogue, promos
from domain.usecases.actors import Actor
from entrypoints.sandbox import sandbox_catalogue

from .support import START_HOURLY, START_MONTHLY, World, micro, refused, rub


def publish(world: World, **changes: object) -> None:
    """A new catalogue version: the sandbox's, with `changes`."""
    with world.rt.uow() as uow:
        current = uow.catalogue.current()
        uow.catalogue.publish(
            attrs.evolve(sandbox_catalogue(), version=current.version + 1, **changes)
        )
        uow.commit()


class TestCurrentCatalogue:
    def test_is_the_seeded_sandbox_catalogue(self, world: World) -> None:
        current = catalogue.current_catalogue(world.rt)
        assert current.version == 1
        assert [loc.code for loc in current.locations] == ["ru-msk-1", "ru-spb-1", "nl-ams-1"]

    def test_a_published_version_becomes_current(self, world: World) -> None:
        publish(world)
        assert catalogue.current_catalogue(world.rt).version == 2


class TestQuote:
    def test_prices_a_tariff_to_the_micro_unit(self, world: World, customer: Actor) -> None:
        signed = catalogue.quote_order(world.rt, customer, OrderRequest(os_id=1, tariff_id=1))

        q = signed.quote
        assert (q.hourly.micro, q.monthly.micro) == (START_HOURLY, START_MONTHLY)
        assert q.first_charge_list.micro == q.first_charge.micro == START_HOURLY
        assert q.discount.micro == 0
        assert q.catalogue_version == 1
        assert signed.expires_at == world.clock.now() + world.rt.policy.quote_ttl

    def test_prices_a_custom_windows_server(self, world: World) -> None:
        # 2 cores x 0.60 + 4 GiB x 0.30 + 50 GiB x 0.012 + a 1.50 licence, in Amsterdam.
        request = OrderRequest(os_id=5, location_id=3, cores=2, memory=4096, disk=50)
        q = catalogue.quote_order(world.rt, None, request).quote
        assert q.hourly == rub("4.50")
        assert q.monthly == rub("3285.00")

    def test_memory_sold_in_mib_rounds_once(self, world: World) -> None:
        # 1536 MiB at 0.25 a GiB is 0.375 an hour exactly; plus 1 core and 10 GiB of disk.
        q = catalogue.quote_order(
            world.rt, None, OrderRequest(os_id=1, location_id=1, cores=1, memory=1536, disk=10)
        ).quote
        assert q.hourly.micro == 500_000 + 375_000 + 100_000

    def test_a_percent_code_takes_off_the_first_charge(self, world: World, customer: Actor) -> None:
        promos.create_promo(
            world.rt, world.admin, PromoDraft(code="SPRING", kind="percent", percent=20)
        )
        q = catalogue.quote_order(
            world.rt, customer, OrderRequest(os_id=1, tariff_id=1, promo_code="spring")
        ).quote
        assert q.discount.micro == 190_000
        assert q.first_charge.micro == 760_000
        assert q.promo_code == "SPRING"

    def test_a_quote_changes_nothing(self, world: World, customer: Actor) -> None:
        before = world.snapshot()
        catalogue.quote_order(world.rt, customer, OrderRequest(os_id=1, tariff_id=2))
        assert world.snapshot() == before

    @pytest.mark.parametrize(
        ("request_fields", "error", "field"),
        [
            ({"os_id": 99, "tariff_id": 1}, NotFound, None),
            # An id that is no int ("1", None, True): refused at the edge (tests/http/test_commands)
            ({"os_id": 1, "tariff_id": 99}, NotFound, None),
            ({"os_id": 1, "tariff_id": 1, "location_id": 99}, NotFound, None),
            ({"os_id": 1, "tariff_id": 1, "cores": 2}, ValidationError, "tariffId"),
            ({"os_id": 1, "cores": 1, "memory": 1024, "disk": 20}, ValidationError, "locationId"),
            ({"os_id": 1, "location_id": 1, "memory": 1024, "disk": 20}, ValidationError, "cores"),
            (  # below what any catalogue may sell: the value object's own bound, as the API's
                {"os_id": 1, "location_id": 1, "cores": 0, "memory": 1024, "disk": 20},
                ValidationError,
                "cores",
            ),
            (
                {"os_id": 1, "location_id": 1, "cores": 33, "memory": 1024, "disk": 20},
                RuleViolation,
                "cores",
            ),
            (
                {"os_id": 1, "location_id": 1, "cores": 1.0, "memory": 1024, "disk": 20},
                ValidationError,
                "cores",
            ),
            (
                {"os_id": 1, "location_id": 1, "cores": 1, "memory": 1000, "disk": 20},
                RuleViolation,
                "memory",
            ),
            (
                {"os_id": 1, "location_id": 1, "cores": 1, "memory": 256, "disk": 20},
                RuleViolation,
                "memory",
            ),
            (
                {"os_id": 1, "location_id": 1, "cores": 1, "memory": 1024, "disk": 2001},
                RuleViolation,
                "disk",
            ),
            (
                {"os_id": 1, "location_id": 1, "cores": 1, "memory": 1024, "disk": "20"},
                ValidationError,
                "disk",
            ),
            ({"os_id": 1, "tariff_id": 1, "promo_code": "NOSUCHCODE"}, NotFound, None),
            (
                {"os_id": 1, "tariff_id": 1, "promo_code": "no such code"},
                ValidationError,
                "promoCode",
            ),
        ],
    )
    def test_refuses_bad_orders(
        self,
        world: World,
        customer: Actor,
        request_fields: dict[str, object],
        error: type,
        field: str | None,
    ) -> None:
        refused(
            world,
            error,
            lambda: catalogue.quote_order(world.rt, customer, OrderRequest(**request_fields)),
            field=field,
        )

    def test_an_out_of_range_resource_names_its_bounds(self, world: World) -> None:
        err = refused(
            world,
            RuleViolation,
            catalogue.quote_order,
            world.rt,
            None,
            OrderRequest(os_id=1, location_id=1, cores=64, memory=1024, disk=20),
            field="cores",
        )
        assert (err.details["minimum"], err.details["maximum"]) == (1, 32)

    def test_a_tariff_not_offered_at_the_location(self, world: World) -> None:
        tariffs = sandbox_catalogue().tariffs
        publish(
            world, tariffs=(attrs.evolve(tariffs[0], location_ids=frozenset({2})), *tariffs[1:])
        )
        refused(
            world,
            RuleViolation,
            catalogue.quote_order,
            world.rt,
            None,
            OrderRequest(os_id=1, tariff_id=1, location_id=1),
            field="locationId",
        )

    def test_a_code_the_customer_already_used(self, world: World, customer: Actor) -> None:
        promos.create_promo(
            world.rt, world.admin, PromoDraft(code="ONCE", kind="percent", percent=10)
        )
        world.order(customer, promo_code="ONCE")
        err = refused(
            world,
            PromoCodeRejected,
            catalogue.quote_order,
            world.rt,
            customer,
            OrderRequest(os_id=1, tariff_id=1, promo_code="ONCE"),
        )
        assert err.reason == "already_used"


class TestSignedQuote:
    """An order that names a quote pays exactly what the quote showed, or is refused."""

    def test_an_order_with_its_quote_pays_the_quoted_price(
        self, world: World, customer: Actor
    ) -> None:
        signed = catalogue.quote_order(world.rt, customer, OrderRequest(os_id=1, tariff_id=1))
        world.clock.advance(dt.timedelta(minutes=14))
        created = world.order(customer, quote_id=signed.quote_id)
        captured = world.transactions(TxKind.CAPTURE, server_id=created.server.id)
        assert [tx.amount for tx in captured] == [signed.quote.first_charge]

    def test_a_quote_given_before_logging_in_binds_too(self, world: World, customer: Actor) -> None:
        signed = catalogue.quote_order(world.rt, None, OrderRequest(os_id=1, tariff_id=1))
        created = world.order(customer, quote_id=signed.quote_id)
        assert world.server(created.server.id).status.value == "running"

    def test_a_forged_quote(self, world: World, customer: Actor) -> None:
        signed = catalogue.quote_order(world.rt, customer, OrderRequest(os_id=1, tariff_id=1))
        prefix, body, mac = signed.quote_id.split(".")
        claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        claims["f"] = 1  # a first charge of one micro-unit
        cheap = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
        other_key = sign_quote(
            signed.quote,
            account_id=customer.account_id,
            expires_at=signed.expires_at,
            key=b"not our key, but long enough",
        )
        for forged in (
            f"{prefix}.{cheap}.{mac}",
            other_key,
            signed.quote_id[:-1] + "x",
            "q1..",
            "",
            "q1.é.é",
        ):
            err = refused(
                world,
                QuoteRejected,
                world.order,
                customer,
                quote_id=forged,
                error_code="quote_rejected",
            )
            assert err.message == "quoteId is not a quote we issued"

    def test_an_expired_quote(self, world: World, customer: Actor) -> None:
        signed = catalogue.quote_order(world.rt, customer, OrderRequest(os_id=1, tariff_id=1))
        world.clock.advance(world.rt.policy.quote_ttl)
        err = refused(world, QuoteRejected, world.order, customer, quote_id=signed.quote_id)
        assert "expired" in err.message

    def test_a_quote_for_another_customer(
        self, world: World, customer: Actor, stranger: Actor
    ) -> None:
        signed = catalogue.quote_order(world.rt, stranger, OrderRequest(os_id=1, tariff_id=1))
        refused(world, QuoteRejected, world.order, customer, quote_id=signed.quote_id)

    def test_a_quote_for_another_configuration(self, world: World, customer: Actor) -> None:
        signed = catalogue.quote_order(world.rt, customer, OrderRequest(os_id=1, tariff_id=1))
        refused(world, QuoteRejected, world.order, customer, tariff_id=2, quote_id=signed.quote_id)
        refused(world, QuoteRejected, world.order, customer, os_id=2, quote_id=signed.quote_id)

    def test_a_quote_without_the_promo_code_it_was_priced_with(
        self, world: World, customer: Actor
    ) -> None:
        promos.create_promo(
            world.rt, world.admin, PromoDraft(code="SPRING", kind="percent", percent=20)
        )
        signed = catalogue.quote_order(
            world.rt, customer, OrderRequest(os_id=1, tariff_id=1, promo_code="SPRING")
        )
        refused(world, QuoteRejected, world.order, customer, quote_id=signed.quote_id)

    def test_a_quote_after_a_price_change(self, world: World, customer: Actor) -> None:
        signed = catalogue.quote_order(world.rt, customer, OrderRequest(os_id=1, tariff_id=1))
        rates = dict(sandbox_catalogue().rates)
        rates[1] = attrs.evolve(rates[1], per_core=Money(micro("0.40"), "RUB"))
        publish(world, rates=rates)
        err = refused(world, QuoteRejected, world.order, customer, quote_id=signed.quote_id)
        assert "changed" in err.message

    def test_a_quote_after_a_catalogue_change_that_kept_the_price(
        self, world: World, customer: Actor
    ) -> None:
        # A quote names its catalogue version: a new version voids it, same price or not.
        signed = catalogue.quote_order(world.rt, customer, OrderRequest(os_id=1, tariff_id=1))
        publish(world)
        refused(world, QuoteRejected, world.order, customer, quote_id=signed.quote_id)
