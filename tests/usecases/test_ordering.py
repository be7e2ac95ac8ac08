"""Ordering a server (saga steps 1 and 2): all of it happens, or none of it does."""

from __future__ import annotations

import datetime as dt
import threading

import attrs
import pytest

from domain.model.action import ActionCommand, ActionStatus
from domain.model.commands import PromoDraft
from domain.model.dunning import Standing
from domain.model.errors import (
    AccountRestricted,
    InsufficientFunds,
    NotFound,
    PromoCodeRejected,
    RuleViolation,
    ValidationError,
)
from domain.model.ledger import TxKind
from domain.model.server import ServerStatus
from domain.usecases import admin, ordering, promos
from domain.usecases.actors import Actor
from domain.usecases.runtime import Runtime

from .support import START_HOURLY, World, micro, refused


class TestOrderAccepted:
    def test_holds_the_first_charge_and_queues_provisioning(
        self, world: World, customer: Actor
    ) -> None:
        world.hold_jobs()
        now = world.clock.now()

        created = world.order(customer, name="web-1")

        server = world.server(created.server.id)
        assert server.status is ServerStatus.PENDING
        assert server.name == "web-1"
        assert server.owner_id == customer.account_id
        assert (server.config.cores, server.config.memory_mib, server.config.disk_gib) == (
            1,
            1024,
            20,
        )
        assert server.catalogue_version == 1
        assert server.meter.billed_until == now
        assert server.hold_key == f"order:{server.id}:hold"
        assert world.wallet(customer) == micro("1000.00") - START_HOURLY
        assert world.held(customer) == START_HOURLY
        action = world.action(created.action.id)
        assert (action.command, action.status) == (ActionCommand.CREATE, ActionStatus.RUNNING)
        assert server.active_action_id == action.id
        [job] = world.jobs.pending
        assert job.task == ordering.PROVISION_TASK
        assert job.lock == f"server:{server.id}"
        assert job.args["server_id"] == server.id
        assert job.args["first_charge"] == START_HOURLY

    def test_the_root_password_is_returned_once_and_not_kept_on_the_server(
        self, world: World, customer: Actor
    ) -> None:
        world.hold_jobs()
        created = world.order(customer)
        assert len(created.root_password) >= 20
        assert created.root_password not in repr(world.snapshot()["tables"]["servers"])
        [job] = world.jobs.pending
        assert created.root_password not in repr(job.args)  # job arguments rest in the database
        world.run_jobs()
        assert (
            world.hypervisor.password_of(world.server(created.server.id).placement.vmid)
            == created.root_password
        )

    def test_a_server_without_a_name_is_named_after_its_id(
        self, world: World, customer: Actor
    ) -> None:
        created = world.order(customer)
        assert created.server.name == f"server-{created.server.id}"

    def test_a_failed_server_does_not_count_against_the_limit(
        self, world: World, customer: Actor
    ) -> None:
        rt = attrs.evolve(
            world.rt, policy=attrs.evolve(world.rt.policy, max_servers_per_customer=1)
        )
        world.hypervisor.fail_next("create")
        failed = ordering.create_server(rt, customer, ordering.OrderRequest(os_id=1, tariff_id=1))
        assert world.server(failed.server.id).status is ServerStatus.FAILED
        ordering.create_server(rt, customer, ordering.OrderRequest(os_id=1, tariff_id=1))


class TestOrderRefused:
    def test_a_balance_that_does_not_cover_the_first_charge(self, world: World) -> None:
        poor = world.customer(balance="0.94")
        err = refused(world, InsufficientFunds, world.order, poor, error_code="insufficient_funds")
        assert err.details["required"] == "0.95"
        assert err.details["available"] == "0.94"

    def test_a_customer_with_nothing_on_the_balance(self, world: World) -> None:
        refused(world, InsufficientFunds, world.order, world.customer(balance=None))

    def test_a_restricted_account(self, world: World) -> None:
        debtor = world.customer(balance="5.00")
        world.credit(debtor, "-6.00")  # an admin's correction may go below zero; dunning restricts
        with world.rt.uow() as uow:
            assert uow.accounts.get(debtor.account_id).standing is Standing.RESTRICTED  # type: ignore[union-attr]
        err = refused(
            world, AccountRestricted, world.order, debtor, error_code="account_restricted"
        )
        assert err.details["standing"] == "restricted"

    def test_a_disabled_account(self, world: World, customer: Actor) -> None:
        admin.set_account_disabled(world.rt, world.admin, customer.account_id, disabled=True)
        refused(world, AccountRestricted, world.order, customer)

    def test_an_unknown_account(self, world: World) -> None:
        refused(world, NotFound, world.order, Actor(9999, world.admin.role))

    def test_more_servers_than_the_limit(self, world: World, customer: Actor) -> None:
        rt: Runtime = attrs.evolve(
            world.rt, policy=attrs.evolve(world.rt.policy, max_servers_per_customer=2)
        )
        for _ in range(2):
            ordering.create_server(rt, customer, ordering.OrderRequest(os_id=1, tariff_id=1))
        refused(
            world,
            AccountRestricted,
            ordering.create_server,
            rt,
            customer,
            ordering.OrderRequest(os_id=1, tariff_id=1),
        )

    @pytest.mark.parametrize(
        ("fields", "error", "field"),
        [
            ({"os_id": 42}, NotFound, None),
            (
                {"os_id": 1, "location_id": 1, "cores": 1, "memory": 1024, "disk": 5},
                RuleViolation,
                "disk",
            ),
            (
                {"os_id": 1, "location_id": 1, "cores": 100, "memory": 1024, "disk": 20},
                RuleViolation,
                "cores",
            ),
            (
                {"os_id": 1, "location_id": 1, "cores": 1, "memory": 200_000, "disk": 20},
                RuleViolation,
                "memory",
            ),
            ({"name": "Web_1"}, ValidationError, "name"),
            ({"name": "web-1\n"}, ValidationError, "name"),
            ({"name": "-web"}, ValidationError, "name"),
            ({"name": "a" * 64}, ValidationError, "name"),
            ({"name": 42}, ValidationError, "name"),
        ],
    )
    def test_bad_input(
        self,
        world: World,
        customer: Actor,
        fields: dict[str, object],
        error: type,
        field: str | None,
    ) -> None:
        refused(world, error, world.order, customer, field=field, **fields)


class TestOrderWithPromoCode:
    def test_a_percent_code_is_redeemed_and_lowers_the_hold(
        self, world: World, customer: Actor
    ) -> None:
        code = promos.create_promo(
            world.rt, world.admin, PromoDraft(code="SPRING", kind="percent", percent=20)
        )
        world.hold_jobs()
        created = world.order(customer, promo_code="spring")
        assert world.held(customer) == 760_000
        assert world.server(created.server.id).promo_code == "SPRING"
        assert promos.get_promo(world.rt, world.admin, code.id).uses == 1

    def test_a_code_covering_the_whole_first_charge_holds_nothing(
        self, world: World, customer: Actor
    ) -> None:
        promos.create_promo(
            world.rt, world.admin, PromoDraft(code="FREEHOUR", kind="fixed", amount="5.00")
        )
        created = world.order(customer, promo_code="FREEHOUR")
        server = world.server(created.server.id)
        assert server.status is ServerStatus.RUNNING
        assert server.hold_key is None
        assert world.transactions(TxKind.HOLD) == [] and world.transactions(TxKind.CAPTURE) == []
        assert world.wallet(customer) == micro("1000.00")

    @pytest.mark.parametrize(
        ("draft", "reason"),
        [
            ({"active": False}, "inactive"),
            ({"valid_from": dt.datetime(2030, 1, 1, tzinfo=dt.UTC)}, "not_yet_valid"),
            ({"valid_until": dt.datetime(2026, 1, 1, tzinfo=dt.UTC)}, "expired"),
            ({"tariff_ids": (2,)}, "wrong_tariff"),
            ({"location_ids": (3,)}, "wrong_location"),
            ({"kind": "bonus", "percent": 0, "amount": "10.00"}, "wrong_use"),
        ],
    )
    def test_a_code_that_does_not_apply(
        self, world: World, customer: Actor, draft: dict[str, object], reason: str
    ) -> None:
        promos.create_promo(
            world.rt,
            world.admin,
            PromoDraft(**{"code": "CODE", "kind": "percent", "percent": 10, **draft}),
        )
        err = refused(
            world,
            PromoCodeRejected,
            world.order,
            customer,
            promo_code="CODE",
            error_code="promo_code_rejected",
        )
        assert err.reason == reason

    def test_a_used_up_code(self, world: World, customer: Actor, stranger: Actor) -> None:
        promos.create_promo(
            world.rt,
            world.admin,
            PromoDraft(code="FIRST", kind="percent", percent=10, max_uses=1),
        )
        world.order(stranger, promo_code="FIRST")
        err = refused(world, PromoCodeRejected, world.order, customer, promo_code="FIRST")
        assert err.reason == "exhausted"

    def test_no_use_is_kept_when_the_hold_fails(self, world: World) -> None:
        code = promos.create_promo(
            world.rt, world.admin, PromoDraft(code="SPRING", kind="percent", percent=5)
        )
        poor = world.customer(balance="0.10")
        refused(world, InsufficientFunds, world.order, poor, promo_code="SPRING")
        assert promos.get_promo(world.rt, world.admin, code.id).uses == 0


class TestConcurrentOrders:
    def test_orders_at_once_never_overuse_a_code(self, world: World) -> None:
        code = promos.create_promo(
            world.rt,
            world.admin,
            PromoDraft(code="FEW", kind="percent", percent=10, max_uses=2),
        )
        customers = [world.customer() for _ in range(5)]
        world.hold_jobs()
        start = threading.Barrier(len(customers))
        outcomes: dict[int, str] = {}

        def order(actor: Actor) -> None:
            start.wait()
            try:
                world.order(actor, promo_code="FEW")
                outcomes[actor.account_id] = "ok"
            except PromoCodeRejected as ex:
                outcomes[actor.account_id] = ex.reason

        threads = [threading.Thread(target=order, args=(c,)) for c in customers]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)

        assert sorted(outcomes.values()) == ["exhausted"] * 3 + ["ok"] * 2
        assert promos.get_promo(world.rt, world.admin, code.id).uses == 2
        for actor in customers:
            ordered = outcomes[actor.account_id] == "ok"
            assert world.held(actor) == (855_000 if ordered else 0)
        assert len(world.jobs.pending) == 2
