"""The background tasks by name: what a deferred job runs. The job queue adapter calls
`dispatch`."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from domain.model.server import ACTION_JOB, COMMANDS, PROVISION_JOB
from domain.usecases.actions import run_server_action
from domain.usecases.provisioning import provision_server
from domain.usecases.runtime import Runtime
from entrypoints.metrics import timed_job

# What runs each job the server commands' table names: a job without its runner fails at import.
_RUNNERS: dict[str, Callable[..., None]] = {
    PROVISION_JOB: provision_server,
    ACTION_JOB: run_server_action,
}
TASKS: dict[str, Callable[..., None]] = {spec.job: _RUNNERS[spec.job] for spec in COMMANDS.values()}


def bound_tasks(runtime: Runtime) -> dict[str, Callable[..., None]]:
    """Each task bound to the runtime, counted and timed by name (entrypoints.metrics)."""
    return {name: timed_job(name, partial(run, runtime)) for name, run in TASKS.items()}


def make_dispatch(runtime: Runtime) -> Callable[[str, dict[str, Any]], None]:
    tasks = bound_tasks(runtime)

    def dispatch(task: str, args: dict[str, Any]) -> None:
        try:
            handler = tasks[task]
        except KeyError:
            raise LookupError(f"no task named {task!r}") from None
        handler(**args)

    return dispatch
