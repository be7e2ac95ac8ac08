from __future__ import annotations

import itertools

import pytest

from domain.model.action import ActionCommand, NoParams, ResizeParams
from domain.model.catalogue import GuestKind, ServerConfig
from domain.model.errors import InvalidTransition, Locked
from domain.model.metering import Meter
from domain.model.promo import NO_DISCOUNT
from domain.model.server import (
    ACTION_JOB,
    COMMANDS,
    PROVISION_JOB,
    TRANSITIONS,
    Placement,
    Server,
    ServerStatus,
)

from .factories import at, rub

S = ServerStatus
T0 = at(2025, 3, 10, 12)
T1 = at(2025, 3, 10, 13)

# The state machine of DESIGN §2, written out edge by edge.
EDGES = {
    S.PENDING: {S.PROVISIONING, S.FAILED},
    S.PROVISIONING: {S.RUNNING, S.FAILED},
    S.RUNNING: {S.STOPPED, S.SUSPENDED, S.REBUILDING, S.DELETING},
    S.STOPPED: {S.RUNNING, S.SUSPENDED, S.REBUILDING, S.DELETING},
    S.SUSPENDED: {S.RUNNING, S.STOPPED, S.DELETING},
    S.REBUILDING: {S.RUNNING, S.STOPPED},
    S.DELETING: {S.DELETED},
    S.FAILED: {S.DELETING},
    S.DELETED: set(),
}
LEGAL = {(source, target) for source, targets in EDGES.items() for target in targets}


def meter() -> Meter:
    return Meter.start(rub("3.00"), rub("2190.00"), NO_DISCOUNT, T0)


def server(status: ServerStatus = S.PENDING, **fields: object) -> Server:
    return Server(
        id=7,
        owner_id=42,
        name="web-1",
        location_id=1,
        image_id=1,
        tariff_id=None,
        guest_kind=GuestKind.LXC,
        config=ServerConfig(2, 2048, 20),
        status=status,
        created_at=T0,
        updated_at=T0,
        catalogue_version=7,
        meter=meter(),
        **fields,  # type: ignore[arg-type]
    )


class TestStateMachine:
    @pytest.mark.parametrize(("source", "target"), list(itertools.product(S, S)))
    def test_only_the_designed_transitions_exist(
        self, source: ServerStatus, target: ServerStatus
    ) -> None:
        s = server(source)
        if (source, target) in LEGAL:
            s._move(target, "test", T1)
            assert (s.status, s.updated_at) == (target, T1)
        else:
            with pytest.raises(InvalidTransition) as err:
                s._move(target, "test", T1)
            assert (s.status, s.updated_at) == (source, T0)  # nothing changed
            assert err.value.details == {"state": source.value, "attempted": "test"}
            assert err.value.code == "invalid_state"

    def test_table_has_every_state(self) -> None:
        assert set(TRANSITIONS) == set(S)

    def test_happy_life(self) -> None:
        s = server()
        s.start_provisioning(T0)
        s.start_provisioning(T0)  # a retried job finds it already provisioning
        fresh = meter().prepaid(3600, rub("3.00"))
        s.provisioned(fresh, T1)
        assert (s.status, s.meter) == (S.RUNNING, fresh)
        s.powered(False, T1)
        assert s.status is S.STOPPED
        s.powered(True, T1)
        assert s.status is S.RUNNING
        s.start_deleting(T1)
        s.deleted(at(2025, 3, 10, 14))
        assert (s.status, s.deleted_at) == (S.DELETED, at(2025, 3, 10, 14))

    @pytest.mark.parametrize("status", [S.PENDING, S.PROVISIONING])
    def test_failure_keeps_its_reason(self, status: ServerStatus) -> None:
        s = server(status)
        s.fail("no free address", T1)
        assert (s.status, s.failure_reason) == (S.FAILED, "no free address")

    def test_a_running_server_does_not_fail(self) -> None:
        with pytest.raises(InvalidTransition):
            server(S.RUNNING).fail("late", T1)

    def test_provisioning_a_running_server_is_refused(self) -> None:
        with pytest.raises(InvalidTransition):
            server(S.RUNNING).start_provisioning(T1)

    @pytest.mark.parametrize(("before", "after"), [(S.RUNNING, S.RUNNING), (S.STOPPED, S.STOPPED)])
    def test_suspension_restores_the_power_state_it_found(
        self, before: ServerStatus, after: ServerStatus
    ) -> None:
        s = server(before)
        s.suspend(T1)
        assert s.status is S.SUSPENDED
        assert s.stopped_by_dunning is (before is S.RUNNING)  # a customer's own stop is kept
        s.unsuspend(T1)
        assert (s.status, s.stopped_by_dunning) == (after, False)

    @pytest.mark.parametrize("status", [S.RUNNING, S.STOPPED, S.DELETED])
    def test_unsuspend_needs_a_suspended_server(self, status: ServerStatus) -> None:
        # Regression: RUNNING -> STOPPED is a legal edge, so unsuspend on a running server (a
        # retried job, a second payment) silently stopped it.
        s = server(status)
        with pytest.raises(InvalidTransition):
            s.unsuspend(T1)
        assert s.status is status

    @pytest.mark.parametrize(
        ("status", "billable"),
        [
            (S.PENDING, False),
            (S.PROVISIONING, False),
            (S.RUNNING, True),
            (S.STOPPED, True),
            (S.SUSPENDED, True),
            (S.REBUILDING, True),
            (S.DELETING, False),
            (S.DELETED, False),
            (S.FAILED, False),
        ],
    )
    def test_reserved_resources_are_billed_whatever_the_power_state(
        self, status: ServerStatus, billable: bool
    ) -> None:
        assert status.billable is billable


C = ActionCommand


class TestCommands:
    @pytest.mark.parametrize(
        ("command", "status", "allowed"),
        [
            (C.START, S.STOPPED, True),
            (C.START, S.RUNNING, False),
            (C.STOP, S.RUNNING, True),
            (C.STOP, S.STOPPED, False),
            (C.RESTART, S.STOPPED, False),
            (C.RESIZE, S.STOPPED, True),
            (C.RESIZE, S.SUSPENDED, False),
            (C.RESET_PASSWORD, S.STOPPED, False),
            (C.DELETE, S.FAILED, True),
            (C.DELETE, S.SUSPENDED, True),
            (C.DELETE, S.DELETING, False),
            (C.DELETE, S.PROVISIONING, False),
            (C.CREATE, S.PENDING, True),
            (C.CREATE_SNAPSHOT, S.SUSPENDED, False),
            (C.CHANGE_FIREWALL, S.SUSPENDED, True),
        ],
    )
    def test_allowed_from(
        self, command: ActionCommand, status: ServerStatus, allowed: bool
    ) -> None:
        s = server(status)
        if allowed:
            s.check_allows(command)
        else:
            with pytest.raises(InvalidTransition) as err:
                s.check_allows(command)
            # Refusals keep the words they always had ("cannot reset password").
            assert COMMANDS[command].name.replace("_", " ") in err.value.message

    @pytest.mark.parametrize(("status", "allowed"), [(S.RUNNING, True), (S.STOPPED, False)])
    def test_a_console_needs_a_running_guest(self, status: ServerStatus, allowed: bool) -> None:
        s = server(status)
        if allowed:
            s.check_console()
        else:
            with pytest.raises(InvalidTransition, match="cannot console"):
                s.check_console()

    def test_a_console_is_refused_while_an_action_runs(self) -> None:
        s = server(S.RUNNING)
        s.begin(C.RESTART, 100, T1)
        with pytest.raises(Locked):
            s.check_console()

    def test_every_command_names_known_states_only(self) -> None:
        assert set(COMMANDS) == set(ActionCommand)
        assert all(spec.allowed_from and spec.allowed_from <= set(S) for spec in COMMANDS.values())
        assert not any(S.DELETED in spec.allowed_from for spec in COMMANDS.values())

    @pytest.mark.parametrize("command", list(ActionCommand))
    def test_the_table_walks_the_state_machine(self, command: ActionCommand) -> None:
        """From each state a command is allowed in, to its running state, to the state it ends in:
        each step is a designed transition (or no move at all)."""
        spec = COMMANDS[command]
        for source in spec.allowed_from:
            during = spec.running or source
            assert during == source or (source, during) in LEGAL
            after = spec.succeeded or during
            assert after == during or (during, after) in LEGAL

    @pytest.mark.parametrize(
        ("command", "source", "target"),
        [
            (C.START, S.STOPPED, S.RUNNING),
            (C.STOP, S.RUNNING, S.STOPPED),
            (C.RESTART, S.RUNNING, S.RUNNING),
            (C.RESIZE, S.STOPPED, S.STOPPED),
            (C.DELETE, S.DELETING, S.DELETED),
            (C.CREATE, S.PROVISIONING, S.RUNNING),
        ],
    )
    def test_success_ends_in_the_state_the_table_names(
        self, command: ActionCommand, source: ServerStatus, target: ServerStatus
    ) -> None:
        s = server(source)
        s.complete(command, T1)
        assert s.status is target
        s.complete(command, T1)  # a repeated completion stays put
        assert s.status is target

    def test_each_command_takes_its_own_parameters_class(self) -> None:
        assert COMMANDS[C.RESIZE].params is ResizeParams
        assert COMMANDS[C.START].params is NoParams
        assert {spec.job for spec in COMMANDS.values()} == {ACTION_JOB, PROVISION_JOB}
        assert COMMANDS[C.CREATE].job == PROVISION_JOB

    @pytest.mark.parametrize("command", list(ActionCommand))
    def test_allows_answers_what_check_allows_decides(self, command: ActionCommand) -> None:
        for status in S:
            for busy in (None, 5):
                s = server(status, active_action_id=busy)
                try:
                    s.check_allows(command)
                    refused = False
                except (InvalidTransition, Locked):
                    refused = True
                assert s.allows(command) is not refused
                assert s.allows(command) is (
                    busy is None and status in COMMANDS[command].allowed_from
                )

    def test_a_running_action_locks_the_server(self) -> None:
        s = server(S.RUNNING)
        s.begin(C.STOP, 100, T1)
        assert (s.active_action_id, s.updated_at) == (100, T1)
        with pytest.raises(Locked) as err:
            s.begin(C.RESTART, 101, T1)  # legal in this state, but refused rather than queued
        assert err.value.details == {"action_id": 100}
        assert err.value.code == "locked"
        s.finish_action(T1)
        s.begin(C.RESTART, 101, T1)
        assert s.active_action_id == 101

    def test_a_refused_command_does_not_lock(self) -> None:
        s = server(S.STOPPED)
        with pytest.raises(InvalidTransition):
            s.begin(C.STOP, 100, T1)
        assert s.active_action_id is None


class TestSagaBookkeeping:
    def test_steps_are_recorded_once_in_order(self) -> None:
        s = server(S.PROVISIONING)
        for step in ("node", "vmid", "node", "ip"):
            s.mark_step(step, T1)
        assert s.saga_steps == ("node", "vmid", "ip")
        s.unmark_step("vmid", T1)
        assert s.saga_steps == ("node", "ip")

    def test_place_fills_fields_one_by_one(self) -> None:
        s = server(S.PROVISIONING)
        s.place(T1, node="pve1", vmid=105)
        s.place(T1, ip_address="10.0.0.2")
        assert s.placement == Placement(node="pve1", vmid=105, ip_address="10.0.0.2")
        assert server().placement == Placement()  # the default is not shared state

    def test_resized(self) -> None:
        s = server(S.STOPPED)
        rerated = meter().rerated(rub("6.00"), rub("4380.00"))
        s.resized(ServerConfig(4, 4096, 40), rerated, T1)
        assert (s.config, s.meter, s.updated_at) == (ServerConfig(4, 4096, 40), rerated, T1)
