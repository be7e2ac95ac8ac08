"""Administration: customers, all servers, suspending an account."""

from __future__ import annotations

import datetime as dt

import pytest

from domain.model.action import ActionCommand, ActionStatus
from domain.model.commands import Credentials
from domain.model.credentials import EmailAddress
from domain.model.errors import AuthenticationFailed, Conflict, NotFound, PermissionDenied
from domain.model.server import Server, ServerStatus
from domain.usecases import accounts, admin, operator
from domain.usecases.actors import Actor
from domain.usecases.billing import billing_run
from domain.usecases.dunning import dunning_run
from ports.paging import Page

from .support import PASSWORD, START_HOURLY, World, refused


def guest(world: World, server: Server):  # type: ignore[no-untyped-def]
    found = world.hypervisor.find_guest(server.placement.vmid)  # type: ignore[arg-type]
    assert found is not None
    return found


def _email(world: World, actor: Actor) -> str:
    with world.rt.uow() as uow:
        account = uow.accounts.get(actor.account_id)
    assert account is not None
    return account.email


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


class TestSuspension:
    """Suspending an account: no logins, its servers stopped by actions and not billed while
    stopped, their data kept. Reinstating it: logins again, servers billed and started again."""

    def test_suspends_and_reinstates_an_account_and_its_servers(
        self, world: World, customer: Actor
    ) -> None:
        server = world.running_server(customer)
        world.clock.set(server.created_at + dt.timedelta(hours=2))
        billing_run(world.rt)
        before = world.wallet(customer)

        done = admin.suspend_account(world.rt, world.admin, customer.account_id)

        assert done.account.disabled is True
        [action] = done.actions
        assert (action.command, world.action(action.id).status) == (
            ActionCommand.SUSPEND,
            ActionStatus.SUCCESS,
        )
        held = world.server(server.id)
        assert (held.status, held.suspended_by_admin) == (ServerStatus.SUSPENDED, True)
        assert guest(world, server).status == "stopped"  # stopped, not destroyed: data kept
        with world.rt.uow() as uow:
            assert uow.audit.recent(1)[0].action == "account.disable"
        refused(
            world,
            AuthenticationFailed,
            lambda: accounts.login(world.rt, Credentials(_email(world, customer), PASSWORD)),
        )

        # Suspended for a day: not billed, and dunning leaves the servers stopped.
        world.clock.set(world.clock.now() + dt.timedelta(days=1))
        billing_run(world.rt)
        dunning_run(world.rt)
        assert world.wallet(customer) == before
        assert world.server(server.id).status is ServerStatus.SUSPENDED

        reinstated = world.clock.now()
        back = admin.reinstate_account(world.rt, world.admin, customer.account_id)

        assert back.account.disabled is False
        assert [a.command for a in back.actions] == [ActionCommand.UNSUSPEND]
        assert world.server(server.id).status is ServerStatus.RUNNING
        assert guest(world, server).status == "running"
        # Billed again from the moment it was reinstated, not for the day suspended.
        world.clock.set(reinstated + dt.timedelta(hours=2))
        billing_run(world.rt)
        assert before - world.wallet(customer) == 2 * START_HOURLY
        world.order(customer)

    def test_servers_dunning_stopped_stay_stopped_when_the_account_is_reinstated(
        self, world: World
    ) -> None:
        debtor = world.customer(balance="10.00")
        server = world.running_server(debtor)
        for hours in (12, 36):  # restricted, then suspended for the unpaid balance
            world.clock.set(server.created_at + dt.timedelta(hours=hours))
            billing_run(world.rt)
            dunning_run(world.rt)
        assert world.server(server.id).status is ServerStatus.SUSPENDED

        assert admin.suspend_account(world.rt, world.admin, debtor.account_id).actions == []
        assert world.server(server.id).suspended_by_admin is True  # and so not billed
        owed = world.wallet(debtor)
        world.clock.set(world.clock.now() + dt.timedelta(hours=5))
        billing_run(world.rt)
        assert world.wallet(debtor) == owed

        assert admin.reinstate_account(world.rt, world.admin, debtor.account_id).actions == []
        after = world.server(server.id)
        assert (after.status, after.suspended_by_admin) == (ServerStatus.SUSPENDED, False)
        assert guest(world, server).status == "stopped"

    def test_an_admin_cannot_suspend_their_own_account(self, world: World) -> None:
        # Regression: the only admin could suspend itself and lock every admin out.
        refused(
            world,
            Conflict,
            admin.suspend_account,
            world.rt,
            world.admin,
            world.admin.account_id,
            error_code="conflict",
        )

    def test_the_operator_reinstates_a_locked_out_admin_by_email(self, world: World) -> None:
        with world.rt.uow() as uow:  # locked out before self-suspension was refused
            account = uow.accounts.get(world.admin.account_id)
            assert account is not None
            account.disabled = True
            uow.accounts.update(account)
            uow.commit()

        def by_email(email: str) -> admin.Suspension:  # what `hostprovider admin unsuspend` does
            found = operator.account_by_email(world.rt, EmailAddress(email))
            return admin.reinstate_account(world.rt, operator.CONSOLE, found.id)

        done = by_email("root@admin.example")

        assert done.account.id == world.admin.account_id and not done.account.disabled
        accounts.login(world.rt, Credentials("root@admin.example", PASSWORD))
        refused(world, NotFound, by_email, "nobody@admin.example")

    # An id that is no int ("2", 2.0, True) never gets here: a path's id is an int or no route.
    @pytest.mark.parametrize("customer_id", [9999, 0, -1])
    def test_an_unknown_account(self, world: World, customer: Actor, customer_id: int) -> None:
        refused(
            world,
            NotFound,
            admin.suspend_account,
            world.rt,
            world.admin,
            customer_id,
        )

    def test_only_an_admin(self, world: World, customer: Actor, stranger: Actor) -> None:
        refused(
            world,
            PermissionDenied,
            admin.suspend_account,
            world.rt,
            customer,
            stranger.account_id,
        )
