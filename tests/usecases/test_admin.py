"""Administration: customers, all servers, disabling an account."""

from __future__ import annotations

import pytest

from domain.model.errors import NotFound, PermissionDenied
from domain.model.server import ServerStatus
from domain.usecases import admin
from domain.usecases.common import Actor
from ports.records import Page

from .support import World, refused


class TestLists:
    def test_customers_and_servers_page_by_page(
        self, world: World, customer: Actor, stranger: Actor
    ) -> None:
        mine = world.running_server(customer)
        theirs = world.running_server(stranger)

        accounts, total = admin.list_customers(world.rt, world.admin, Page(1, 2))
        assert total == 3
        assert [a.id for a in accounts] == [world.admin.account_id, customer.account_id]
        rest, _ = admin.list_customers(world.rt, world.admin, Page(2, 2))
        assert [a.id for a in rest] == [stranger.account_id]

        all_servers, count = admin.list_all_servers(world.rt, world.admin, Page())
        assert count == 2
        assert [(s.id, s.owner_id) for s in all_servers] == [
            (mine.id, customer.account_id),
            (theirs.id, stranger.account_id),
        ]

    @pytest.mark.parametrize("call", [admin.list_customers, admin.list_all_servers])
    def test_only_an_admin(self, world: World, customer: Actor, call) -> None:  # type: ignore[no-untyped-def]
        refused(world, PermissionDenied, call, world.rt, customer, Page(), error_code="forbidden")


class TestDisable:
    def test_disables_and_enables_an_account_leaving_its_servers_alone(
        self, world: World, customer: Actor
    ) -> None:
        server = world.running_server(customer)

        disabled = admin.set_account_disabled(
            world.rt, world.admin, customer.account_id, disabled=True
        )

        assert disabled.disabled is True
        assert world.server(server.id).status is ServerStatus.RUNNING
        with world.rt.uow() as uow:
            assert uow.accounts.get(customer.account_id).disabled is True  # type: ignore[union-attr]
            assert uow.audit.recent(1)[0].action == "account.disable"

        enabled = admin.set_account_disabled(
            world.rt, world.admin, customer.account_id, disabled=False
        )
        assert enabled.disabled is False
        world.order(customer)

    @pytest.mark.parametrize("customer_id", [9999, "2", None, 2.0, True, [2], {"id": 2}])
    def test_an_unknown_account(self, world: World, customer: Actor, customer_id: object) -> None:
        refused(
            world,
            NotFound,
            admin.set_account_disabled,
            world.rt,
            world.admin,
            customer_id,
            disabled=True,
        )

    def test_only_an_admin(self, world: World, customer: Actor, stranger: Actor) -> None:
        refused(
            world,
            PermissionDenied,
            admin.set_account_disabled,
            world.rt,
            customer,
            stranger.account_id,
            disabled=True,
        )
