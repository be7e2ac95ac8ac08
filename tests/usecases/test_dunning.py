"""Dunning: low balance, restricted, suspended, terminated, and restored by paying."""

from __future__ import annotations

import datetime as dt

from domain.model.action import ActionCommand, ActionStatus
from domain.model.dunning import Standing
from domain.model.errors import AccountRestricted, InvalidTransition
from domain.model.server import Server, ServerStatus
from domain.model.server_commands import OnServer
from domain.usecases import money, server_commands, servers
from domain.usecases.actors import Actor
from domain.usecases.billing import billing_run
from domain.usecases.dunning import DunningReport, dunning_run

from .support import World, refused, unchanged


def standing(world: World, actor: Actor) -> Standing:
    return money.get_balance(world.rt, actor).standing


def tick(world: World, to: dt.datetime) -> DunningReport:
    """What the scheduler does: bill, then assess."""
    world.clock.set(to)
    billing_run(world.rt)
    return dunning_run(world.rt)


def guest_status(world: World, server: Server) -> str | None:
    found = world.hypervisor.find_guest(server.placement.vmid)  # type: ignore[arg-type]
    return found.status if found else None


class Debtor:
    """A customer with 10.00 and a server at 0.95 an hour: about nine hours of runway."""

    def __init__(self, world: World) -> None:
        self.actor = world.customer(balance="10.00")
        self.server = world.running_server(self.actor)
        self.t0 = self.server.created_at

    def restricted(self, world: World) -> None:
        tick(world, self.t0 + dt.timedelta(hours=12))
        assert standing(world, self.actor) is Standing.RESTRICTED

    def suspended(self, world: World) -> None:
        self.restricted(world)
        tick(world, self.t0 + dt.timedelta(hours=36))
        assert standing(world, self.actor) is Standing.SUSPENDED


class TestFalling:
    def test_a_short_runway_sends_a_reminder(self, world: World) -> None:
        debtor = Debtor(world)
        with world.rt.uow() as uow:  # as an account was before the order re-assessed it
            account = uow.accounts.get(debtor.actor.account_id)
            assert account is not None
            account.standing = Standing.ACTIVE
            uow.accounts.update(account)
            uow.commit()
        report = dunning_run(world.rt)
        assert report == DunningReport(assessed=2, changed={"low_balance": 1})
        assert standing(world, debtor.actor) is Standing.LOW_BALANCE
        assert world.templates(debtor.actor)[-1] == "account_low_balance"
        with unchanged(world):
            assert dunning_run(world.rt) == DunningReport(2, {})

    def test_an_order_that_shortens_the_runway_sends_the_reminder_at_once(
        self, world: World
    ) -> None:
        # The order's hold is a charge: the standing follows it, not the next dunning run.
        debtor = Debtor(world)
        assert standing(world, debtor.actor) is Standing.LOW_BALANCE
        assert world.templates(debtor.actor).count("account_low_balance") == 1
        with unchanged(world):
            assert dunning_run(world.rt) == DunningReport(2, {})

    def test_a_used_up_balance_restricts_new_servers(self, world: World) -> None:
        debtor = Debtor(world)
        debtor.restricted(world)
        assert world.wallet(debtor.actor) < 0
        assert world.templates(debtor.actor)[-1] == "account_restricted"
        assert (
            world.server(debtor.server.id).status is ServerStatus.RUNNING
        )  # only new servers stop
        refused(world, AccountRestricted, world.order, debtor.actor)

    def test_still_unpaid_after_a_day_the_servers_stop(self, world: World) -> None:
        debtor = Debtor(world)
        debtor.restricted(world)
        tick(world, debtor.t0 + dt.timedelta(hours=35))
        assert standing(world, debtor.actor) is Standing.RESTRICTED  # 23 hours restricted

        debtor.suspended(world)

        server = world.server(debtor.server.id)
        assert (server.status, server.stopped_by_dunning, server.active_action_id) == (
            ServerStatus.SUSPENDED,
            True,
            None,
        )
        [suspend] = [
            a
            for a in servers.server_actions(world.rt, debtor.actor, server.id)
            if a.command is ActionCommand.SUSPEND
        ]
        assert suspend.status is ActionStatus.SUCCESS
        assert guest_status(world, server) == "stopped"
        assert world.templates(debtor.actor)[-1] == "account_suspended"
        refused(
            world,
            InvalidTransition,
            lambda: server_commands.start_server(world.rt, debtor.actor, OnServer(server.id)),
        )

    def test_still_unpaid_after_the_grace_the_servers_are_deleted(self, world: World) -> None:
        debtor = Debtor(world)
        debtor.suspended(world)
        suspended_at = world.clock.now()
        tick(world, suspended_at + dt.timedelta(days=13))
        assert standing(world, debtor.actor) is Standing.SUSPENDED

        tick(world, suspended_at + dt.timedelta(days=14))

        assert standing(world, debtor.actor) is Standing.TERMINATED
        server = world.server(debtor.server.id)
        assert server.status is ServerStatus.DELETED
        assert guest_status(world, server) is None
        assert world.fabric.state(1).vlans == {} and world.fabric.state(1).mappings == ()
        with world.rt.uow() as uow:
            assert uow.network.ip_of(server.id) is None
        assert world.templates(debtor.actor)[-2:] == ["account_terminated", "server_deleted"]

    def test_an_idle_account_with_nothing_is_left_alone(self, world: World) -> None:
        world.customer(balance=None)
        with unchanged(world):
            assert dunning_run(world.rt) == DunningReport(2, {})

    def test_an_admin_is_never_dunned(self, world: World) -> None:
        world.credit(world.admin, "-5.00")
        assert standing(world, world.admin) is Standing.ACTIVE


class TestPaying:
    def test_restores_the_account_and_starts_the_servers_dunning_stopped(
        self, world: World
    ) -> None:
        debtor = Debtor(world)
        kept_off = world.running_server(debtor.actor)
        server_commands.stop_server(world.rt, debtor.actor, OnServer(kept_off.id))
        debtor.suspended(world)
        assert world.server(kept_off.id).status is ServerStatus.SUSPENDED

        world.credit(debtor.actor, "500.00")

        assert standing(world, debtor.actor) is Standing.ACTIVE
        assert world.server(debtor.server.id).status is ServerStatus.RUNNING
        assert guest_status(world, debtor.server) == "running"
        assert (
            world.server(kept_off.id).status is ServerStatus.STOPPED
        )  # the customer had stopped it
        assert guest_status(world, kept_off) == "stopped"
        assert world.templates(debtor.actor)[-1] == "account_restored"
        world.order(debtor.actor)

    def test_a_restricted_account_is_active_again(self, world: World) -> None:
        debtor = Debtor(world)
        debtor.restricted(world)
        world.credit(debtor.actor, "500.00")
        assert standing(world, debtor.actor) is Standing.ACTIVE
        assert world.templates(debtor.actor)[-1] == "account_restored"

    def test_a_server_busy_when_the_account_fell_is_suspended_afterwards(
        self, world: World
    ) -> None:
        debtor = Debtor(world)
        debtor.restricted(world)
        world.hold_jobs()
        server_commands.restart_server(
            world.rt, debtor.actor, OnServer(debtor.server.id)
        )  # still running at the next tick
        tick(world, debtor.t0 + dt.timedelta(hours=36))
        assert standing(world, debtor.actor) is Standing.SUSPENDED
        world.run_jobs()

        dunning_run(world.rt)
        world.run_jobs()

        assert world.server(debtor.server.id).status is ServerStatus.SUSPENDED
        assert guest_status(world, debtor.server) == "stopped"

    def test_a_server_still_being_suspended_when_paid_is_restored_afterwards(
        self, world: World
    ) -> None:
        debtor = Debtor(world)
        debtor.restricted(world)
        world.hold_jobs()
        tick(world, debtor.t0 + dt.timedelta(hours=36))  # the suspension's job waits for a worker
        world.credit(debtor.actor, "500.00")
        assert standing(world, debtor.actor) is Standing.ACTIVE
        world.run_jobs()

        dunning_run(world.rt)
        world.run_jobs()

        assert world.server(debtor.server.id).status is ServerStatus.RUNNING
        assert guest_status(world, debtor.server) == "running"
