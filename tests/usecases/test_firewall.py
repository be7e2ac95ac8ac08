"""A customer's inbound firewall: seeing it, replacing it as an action, what a failure leaves."""

from __future__ import annotations

from typing import Any

import pytest

from domain.model.action import ActionCommand, ActionStatus, FirewallParams
from domain.model.commands import ReplaceFirewall
from domain.model.errors import (
    InvalidTransition,
    Locked,
    NotFound,
    RuleViolation,
    ValidationError,
)
from domain.model.firewall import MAX_RULES, RuleRequest
from domain.model.network import DEFAULT_INBOUND, FirewallRule
from domain.model.server import Server, ServerStatus
from domain.model.server_commands import OnServer
from domain.usecases import firewall, server_commands
from domain.usecases.actors import Actor

from .support import World, refused

BAD_IDS = [10_000, "1", 0, -1, True, None, 1.0]
SSH_FROM_OFFICE = RuleRequest("tcp", 22, source="203.0.113.0/24", description="ssh")
WEB = RuleRequest("tcp", 8000, 8100, description="app")
PING = RuleRequest("icmp")


@pytest.fixture
def server(world: World, customer: Actor) -> Server:
    return world.running_server(customer, name="web-1")


def replace(world: World, actor: Actor, server: Server, *rules: RuleRequest) -> Any:
    return firewall.replace_firewall(world.rt, actor, ReplaceFirewall(server.id, rules))


def staged_and_live(world: World, server: Server) -> tuple[Any, Any]:
    loc = server.location_id
    return (
        world.fabric.state(loc).rules.get(server.id),
        world.fabric.live_state(loc).rules.get(server.id),
    )


class TestSeeing:
    def test_a_new_server_has_the_providers_default_applied(
        self, world: World, customer: Actor, server: Server
    ) -> None:
        view = firewall.server_firewall(world.rt, customer, server.id)

        assert (view.rules, view.applied, view.default) == (DEFAULT_INBOUND, True, True)
        assert staged_and_live(world, server) == (DEFAULT_INBOUND, DEFAULT_INBOUND)

    def test_a_server_still_being_built_has_nothing_applied_yet(
        self, world: World, customer: Actor
    ) -> None:
        world.hold_jobs()
        ordered = world.order(customer)

        view = firewall.server_firewall(world.rt, customer, ordered.server.id)

        assert (view.rules, view.applied, view.default) == (DEFAULT_INBOUND, False, True)

    @pytest.mark.parametrize("server_id", BAD_IDS)
    def test_an_unknown_id_is_not_found(
        self, world: World, customer: Actor, server: Server, server_id: object
    ) -> None:
        refused(world, NotFound, firewall.server_firewall, world.rt, customer, server_id)

    def test_someone_elses_server_is_not_found(
        self, world: World, server: Server, stranger: Actor
    ) -> None:
        err = refused(world, NotFound, firewall.server_firewall, world.rt, stranger, server.id)
        assert err.details == {"kind": "server", "id": str(server.id)}


class TestReplacing:
    def test_the_new_rules_go_live_and_are_recorded(
        self, world: World, customer: Actor, server: Server
    ) -> None:
        change = replace(world, customer, server, SSH_FROM_OFFICE, WEB, PING)

        expected = (
            FirewallRule("tcp", 22, 22, "203.0.113.0/24", "ssh"),
            FirewallRule("tcp", 8000, 8100, "0.0.0.0/0", "app"),
            FirewallRule("icmp", None, None),
        )
        assert change.rules == expected
        action = world.action(change.action.id)
        assert (action.command, action.status, action.params) == (
            ActionCommand.CHANGE_FIREWALL,
            ActionStatus.SUCCESS,
            FirewallParams(rules=3),
        )
        after = world.server(server.id)
        assert (after.firewall, after.firewall_pending, after.active_action_id) == (
            expected,
            None,
            None,
        )
        assert staged_and_live(world, server) == (expected, expected)
        assert not world.fabric.state(server.location_id).pending_changes
        view = firewall.server_firewall(world.rt, customer, server.id)
        assert (view.rules, view.applied, view.default) == (expected, True, False)

    def test_an_empty_list_closes_every_port(
        self, world: World, customer: Actor, server: Server
    ) -> None:
        replace(world, customer, server)

        assert world.server(server.id).firewall == ()
        assert staged_and_live(world, server) == ((), ())
        assert firewall.server_firewall(world.rt, customer, server.id).default is False

    def test_rules_are_kept_in_canonical_form(
        self, world: World, customer: Actor, server: Server
    ) -> None:
        change = replace(
            world,
            customer,
            server,
            RuleRequest("udp", 53, 53, source=" 198.51.100.7 ", description="  dns  "),
            RuleRequest("tcp", 443, source="0.0.0.0/0"),
        )

        assert change.rules == (
            FirewallRule("udp", 53, 53, "198.51.100.7/32", "dns"),
            FirewallRule("tcp", 443, 443, "0.0.0.0/0", ""),
        )

    def test_while_the_action_runs_the_old_rules_stay_live(
        self, world: World, customer: Actor, server: Server
    ) -> None:
        world.hold_jobs()
        change = replace(world, customer, server, SSH_FROM_OFFICE)

        view = firewall.server_firewall(world.rt, customer, server.id)
        assert (view.rules, view.applied, view.default) == (change.rules, False, False)
        assert world.server(server.id).firewall is None
        assert staged_and_live(world, server) == (DEFAULT_INBOUND, DEFAULT_INBOUND)

        world.run_jobs()

        assert staged_and_live(world, server) == (change.rules, change.rules)
        assert firewall.server_firewall(world.rt, customer, server.id).applied

    @pytest.mark.parametrize("status", ["stopped", "suspended"])
    def test_a_stopped_or_suspended_server_may_change_its_rules(
        self, world: World, customer: Actor, server: Server, status: str
    ) -> None:
        server_commands.stop_server(world.rt, customer, OnServer(server.id))
        if status == "suspended":
            with world.rt.uow() as uow:  # dunning's doing, without the money that leads to it
                stored = uow.servers.get(server.id)
                assert stored is not None
                stored.suspend(world.clock.now())
                uow.servers.update(stored)
                uow.commit()

        change = replace(world, customer, server, PING)

        assert world.action(change.action.id).status is ActionStatus.SUCCESS
        assert world.server(server.id).status.value == status
        assert staged_and_live(world, server) == (change.rules, change.rules)

    def test_an_admin_may_change_any_servers_rules(self, world: World, server: Server) -> None:
        change = replace(world, world.admin, server, PING)
        assert world.server(server.id).firewall == change.rules

    def test_the_change_is_audited(self, world: World, customer: Actor, server: Server) -> None:
        change = replace(world, customer, server, PING)

        with world.rt.uow() as uow:
            [entry] = [e for e in uow.audit.recent(10) if e.action == "server.change_firewall"]
        assert (entry.actor_id, entry.target) == (customer.account_id, f"server:{server.id}")
        assert dict(entry.details) == {"action": str(change.action.id), "rules": "1"}


class TestRefusals:
    @pytest.mark.parametrize(
        ("rules", "field"),
        [
            # What is no list of rules, and a port or a text of the wrong type, the edge refuses
            # (tests/http/test_commands.py): a command holds none of them.
            ([RuleRequest("gre")], "rules.0.protocol"),
            ([PING, RuleRequest(None)], "rules.1.protocol"),
            ([RuleRequest("TCP", 22)], "rules.0.protocol"),
            ([RuleRequest("tcp")], "rules.0.fromPort"),
            ([RuleRequest("udp", None, 53)], "rules.0.fromPort"),
            ([RuleRequest("tcp", 0)], "rules.0.fromPort"),
            ([RuleRequest("tcp", 65536)], "rules.0.fromPort"),
            ([RuleRequest("tcp", -22)], "rules.0.fromPort"),
            ([RuleRequest("tcp", 22, 70000)], "rules.0.toPort"),
            ([RuleRequest("icmp", 8)], "rules.0.fromPort"),
            ([RuleRequest("icmp", None, 8)], "rules.0.toPort"),
            ([RuleRequest("tcp", 22, source="203.0.113.0/33")], "rules.0.source"),
            ([RuleRequest("tcp", 22, source="300.1.2.3")], "rules.0.source"),
            ([RuleRequest("tcp", 22, source="example.com")], "rules.0.source"),
            ([RuleRequest("tcp", 22, source="")], "rules.0.source"),
            ([RuleRequest("tcp", 22, source="2001:db8::/32")], "rules.0.source"),
            ([RuleRequest("tcp", 22, description="x" * 101)], "rules.0.description"),
            ([RuleRequest("tcp", 22, description="ssh\nallow all")], "rules.0.description"),
            ([RuleRequest("tcp", 22, description="s\u200bsh")], "rules.0.description"),
        ],
    )
    def test_a_bad_rule_is_refused_naming_its_field(
        self, world: World, customer: Actor, server: Server, rules: object, field: str
    ) -> None:
        refused(
            world,
            ValidationError,
            lambda: firewall.replace_firewall(
                world.rt, customer, ReplaceFirewall(server.id, rules)
            ),
            error_code="invalid",
            field=field,
        )

    @pytest.mark.parametrize(
        ("rules", "field", "says"),
        [
            ([RuleRequest("tcp", 8100, 8000)], "rules.0.toPort", "below fromPort"),
            ([RuleRequest("tcp", 22, source="203.0.113.7/24")], "rules.0.source", "host bits"),
            (
                [WEB, PING, RuleRequest("tcp", 8000, 8100, description="again")],
                "rules.2",
                "repeats",
            ),
            (
                [RuleRequest("tcp", 22), RuleRequest("tcp", 22, 22, "0.0.0.0/0")],
                "rules.1",
                "repeats",
            ),
            # Other customers' networks:
            *(
                ([RuleRequest("tcp", 22, source=source)], "rules.0.source", "other customers")
                for source in (
                    "10.11.0.0/24",  # the first customer subnet of this location
                    "10.11.7.42",  # one server in it
                    "10.11.0.0/16",  # the location's whole customer range
                    "10.0.0.0/8",  # around it
                    "10.12.3.0/24",  # a customer subnet of another location
                )
            ),
        ],
    )
    def test_a_rule_at_odds_with_itself_another_or_other_customers_is_a_rule_violation(
        self, world: World, customer: Actor, server: Server, rules: object, field: str, says: str
    ) -> None:
        err = refused(
            world,
            RuleViolation,
            lambda: firewall.replace_firewall(
                world.rt, customer, ReplaceFirewall(server.id, rules)
            ),
            error_code="rule_violation",
            field=field,
        )
        assert says in err.message

    def test_a_bounded_number_of_rules(self, world: World, customer: Actor, server: Server) -> None:
        many = [RuleRequest("tcp", port) for port in range(1000, 1000 + MAX_RULES + 1)]

        err = refused(
            world,
            ValidationError,
            lambda: firewall.replace_firewall(world.rt, customer, ReplaceFirewall(server.id, many)),
            field="rules",
        )

        assert f"at most {MAX_RULES}" in err.message
        assert replace(world, customer, server, *many[:MAX_RULES]).rules[-1].port_from == 1049

    def test_a_private_range_that_is_not_the_providers_is_allowed(
        self, world: World, customer: Actor, server: Server
    ) -> None:
        change = replace(world, customer, server, RuleRequest("tcp", 22, source="192.168.0.0/16"))
        assert change.rules[0].source == "192.168.0.0/16"

    def test_someone_elses_server_is_not_found_even_with_bad_rules(
        self, world: World, server: Server, stranger: Actor
    ) -> None:
        for rules in ([PING], [RuleRequest("tcp", 0)]):
            refused(
                world,
                NotFound,
                lambda rules=rules: firewall.replace_firewall(
                    world.rt, stranger, ReplaceFirewall(server.id, rules)
                ),
            )

    @pytest.mark.parametrize("server_id", BAD_IDS)
    def test_an_unknown_id_is_not_found(
        self, world: World, customer: Actor, server: Server, server_id: object
    ) -> None:
        refused(
            world,
            NotFound,
            lambda: firewall.replace_firewall(
                world.rt, customer, ReplaceFirewall(server_id, [PING])
            ),
        )

    def test_a_server_not_on_the_firewall_yet_is_refused(
        self, world: World, customer: Actor
    ) -> None:
        world.hold_jobs()
        ordered = world.order(customer)

        # The order's own action holds the server until provisioning ends.
        refused(
            world,
            Locked,
            lambda: firewall.replace_firewall(
                world.rt, customer, ReplaceFirewall(ordered.server.id, [PING])
            ),
        )

    def test_a_failed_server_is_refused_as_in_the_wrong_state(
        self, world: World, customer: Actor
    ) -> None:
        world.hypervisor.fail_next("create")
        ordered = world.order(customer)
        assert world.server(ordered.server.id).status is ServerStatus.FAILED

        err = refused(
            world,
            InvalidTransition,
            lambda: firewall.replace_firewall(
                world.rt, customer, ReplaceFirewall(ordered.server.id, [PING])
            ),
            error_code="invalid_state",
        )
        assert err.details == {"state": "failed", "attempted": "change firewall"}

    def test_a_busy_server_is_locked(self, world: World, customer: Actor, server: Server) -> None:
        world.hold_jobs()
        busy = server_commands.restart_server(world.rt, customer, OnServer(server.id))

        err = refused(
            world,
            Locked,
            lambda: firewall.replace_firewall(
                world.rt, customer, ReplaceFirewall(server.id, [PING])
            ),
        )
        assert err.details == {"action_id": busy.id}

    def test_a_running_change_locks_other_commands(
        self, world: World, customer: Actor, server: Server
    ) -> None:
        world.hold_jobs()
        replace(world, customer, server, PING)

        refused(
            world,
            Locked,
            lambda: server_commands.stop_server(world.rt, customer, OnServer(server.id)),
        )
        refused(
            world,
            Locked,
            lambda: firewall.replace_firewall(
                world.rt, customer, ReplaceFirewall(server.id, [WEB])
            ),
        )


class TestFabricFailures:
    @pytest.mark.parametrize(
        "trouble",
        [
            pytest.param(lambda fabric: fabric.fail_next("ensure_rules"), id="rules refused"),
            pytest.param(lambda fabric: fabric.fail_next("apply"), id="apply refused"),
            pytest.param(
                lambda fabric: fabric.fail_next("apply", transient=True), id="apply timed out"
            ),
        ],
    )
    def test_a_failed_change_leaves_the_rules_in_force_everywhere(
        self, world: World, customer: Actor, server: Server, trouble: Any
    ) -> None:
        replace(world, customer, server, PING)  # the customer's own set is in force
        in_force = world.server(server.id).firewall
        trouble(world.fabric)

        change = replace(world, customer, server, SSH_FROM_OFFICE, WEB)

        action = world.action(change.action.id)
        assert action.status is ActionStatus.ERROR and action.error is not None
        assert action.error.code in ("external_failure", "unavailable")
        after = world.server(server.id)
        assert (after.firewall, after.firewall_pending, after.active_action_id) == (
            in_force,
            None,
            None,
        )
        # Staged as well as live: the next apply at this location cannot make the refused set live.
        assert staged_and_live(world, server) == (in_force, in_force)
        assert not world.fabric.state(server.location_id).pending_changes
        view = firewall.server_firewall(world.rt, customer, server.id)
        assert (view.rules, view.applied) == (in_force, True)

    def test_an_unreachable_firewall_fails_the_action_and_changes_nothing(
        self, world: World, customer: Actor, server: Server
    ) -> None:
        world.fabric.set_reachable(server.location_id, False)

        change = replace(world, customer, server, PING)

        action = world.action(change.action.id)
        assert action.status is ActionStatus.ERROR and action.error is not None
        assert action.error.code == "unavailable"
        assert world.server(server.id).firewall is None
        world.fabric.set_reachable(server.location_id, True)
        assert staged_and_live(world, server) == (DEFAULT_INBOUND, DEFAULT_INBOUND)

    def test_after_a_failure_the_change_may_be_tried_again(
        self, world: World, customer: Actor, server: Server
    ) -> None:
        world.fabric.fail_next("apply")
        replace(world, customer, server, PING)

        retry = replace(world, customer, server, PING)

        assert world.action(retry.action.id).status is ActionStatus.SUCCESS
        assert staged_and_live(world, server) == (retry.rules, retry.rules)


class TestProvisioning:
    def test_the_saga_writes_the_servers_stored_rules(self, world: World, customer: Actor) -> None:
        world.hold_jobs()
        ordered = world.order(customer)
        own = (FirewallRule("tcp", 2222, 2222, "203.0.113.0/24", "ssh"),)
        with world.rt.uow() as uow:  # a rule set kept from before, such as a re-run saga finds
            stored = uow.servers.get(ordered.server.id)
            assert stored is not None
            stored.firewall = own
            uow.servers.update(stored)
            uow.commit()

        world.run_jobs()

        server = world.server(ordered.server.id)
        assert server.status is ServerStatus.RUNNING
        assert staged_and_live(world, server) == (own, own)
