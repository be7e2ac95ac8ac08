"""The server commands' table drives dispatch: every command has the job its entry names, and every
command run by the action job has its handler."""

from __future__ import annotations

from domain.model.server import ACTION_JOB, COMMANDS
from domain.usecases.actions import _PERFORM
from entrypoints.tasks import TASKS


def test_every_command_the_action_job_runs_has_a_handler() -> None:
    run_by_the_action_job = {c for c, spec in COMMANDS.items() if spec.job == ACTION_JOB}
    assert set(_PERFORM) == run_by_the_action_job


def test_every_job_the_table_names_is_a_task() -> None:
    assert set(TASKS) == {spec.job for spec in COMMANDS.values()}
