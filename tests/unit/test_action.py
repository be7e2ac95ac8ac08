from __future__ import annotations

from typing import Any

import attrs
import pytest

from domain.model.action import (
    Action,
    ActionCommand,
    ActionError,
    ActionParams,
    ActionStatus,
    FirewallParams,
    NewSnapshotParams,
    NoParams,
    ResizeParams,
    SnapshotParams,
    params_from_stored,
    stored_params,
)

from .factories import at

T0 = at(2025, 3, 10, 12)
T1 = at(2025, 3, 10, 12, 1)


def action(**fields: Any) -> Action:
    base = Action(1, 7, 42, ActionCommand.STOP, ActionStatus.RUNNING, T0)
    return attrs.evolve(base, **fields)


def test_progress_only_moves_forward_and_stops_short_of_done() -> None:
    a = action().progressed(40)
    assert a.progress == 40
    assert a.progressed(10).progress == 40  # a late, smaller report does not move it back
    assert a.progressed(100).progress == 99  # only success says 100
    assert not a.progressed(100).finished


def test_success() -> None:
    done = action(progress=40).succeeded(T1)
    assert (done.status, done.progress, done.finished_at, done.error, done.finished) == (
        ActionStatus.SUCCESS,
        100,
        T1,
        None,
        True,
    )


def test_failure_keeps_progress_and_says_why() -> None:
    failed = action(progress=40).failed("external_failure", "the hypervisor refused", T1)
    assert (failed.status, failed.progress, failed.finished_at, failed.finished) == (
        ActionStatus.ERROR,
        40,
        T1,
        True,
    )
    assert failed.error == ActionError("external_failure", "the hypervisor refused")


def test_values_are_not_mutated() -> None:
    a = action()
    a.succeeded(T1)
    assert (a.status, a.progress) == (ActionStatus.RUNNING, 0)


def test_params_are_typed_by_the_command() -> None:
    a = action(command=ActionCommand.CREATE_SNAPSHOT, params=NewSnapshotParams("before-upgrade"))
    assert a.params_as(NewSnapshotParams).snapname == "before-upgrade"
    with pytest.raises(TypeError):
        a.params_as(ResizeParams)


@pytest.mark.parametrize(
    ("params", "stored"),
    [
        (NoParams(), ()),
        (ResizeParams(2, 2048, 40), (("cores", "2"), ("memory", "2048"), ("disk", "40"))),
        (NewSnapshotParams("s1", "x"), (("snapname", "s1"), ("description", "x"))),
        (SnapshotParams("s1"), (("snapname", "s1"),)),
        (FirewallParams(3), (("rules", "3"),)),
    ],
)
def test_params_are_stored_as_the_existing_rows_have_them(
    params: ActionParams, stored: tuple[tuple[str, str], ...]
) -> None:
    assert stored_params(params) == stored
    assert params_from_stored(type(params), [list(pair) for pair in stored]) == params


def test_an_older_row_without_a_description_reads_as_none_given() -> None:
    assert params_from_stored(NewSnapshotParams, [["snapname", "s1"]]) == NewSnapshotParams("s1")


def test_commands_use_the_seed_names() -> None:
    assert {c.value for c in ActionCommand} >= {
        "create_server",
        "start_server",
        "stop_server",
        "restart_server",
        "resize_server",
        "create_snapshot",
        "delete_snapshot",
        "rollback_snapshot",
        "reset_password",
        "delete_server",
    }
