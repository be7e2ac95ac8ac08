"""How far an action has come, told live: each step of a saga moves its action's `progress`, and
every change (a step done, the action finished) is published on `action-progress` for the
owner's live connection. Published after the change is committed, so nobody hears of progress
that was then rolled back.

A long hypervisor task (a clone, a resize) moves its action too while it runs, as far as the
hypervisor tells its percentage: mapped into the part of the action the task stands for."""

from __future__ import annotations

import logging

from domain.model.action import Action
from domain.model.errors import DomainError
from domain.usecases.runtime import Runtime
from ports.hypervisor import TaskProgress

log = logging.getLogger(__name__)

ACTION_PROGRESS = "action-progress"

# Where the create saga stands after each of its steps (domain/usecases/provisioning_steps.py);
# 100 is reached when the server is handed over (billed, told, the action closed).
CREATE_PROGRESS = {
    "placed": 10,
    "addressed": 15,
    "vlan": 20,
    "guest": 40,
    "mapping": 60,
    "firewall": 80,
    "started": 95,
}

# The part of its action's progress a hypervisor task stands for, as (from, to).
CLONE_OF_CREATE = (CREATE_PROGRESS["vlan"], CREATE_PROGRESS["guest"])  # the saga's guest step
RESIZE = (0, 100)
REBUILD_CLONE = (10, 90)  # the old guest removed before it, the new one started after

# A task tells every percent; its action is written (and published) only when that moved it by
# this many points, so a clone costs a handful of writes rather than a hundred.
TASK_PROGRESS_STEP = 3


def publish_progress(rt: Runtime, action: Action | None) -> None:
    if action is None:
        return
    rt.events.publish(
        ACTION_PROGRESS,
        {
            "actionId": action.id,
            "serverId": action.server_id,
            "ownerId": action.owner_id,
            "command": action.command.value,
            "status": action.status.value,
            "progress": action.progress,
        },
    )


def task_progress(rt: Runtime, action_id: int | None, span: tuple[int, int]) -> TaskProgress | None:
    """What a wait on a hypervisor task is told: the task's percentage mapped into `span` of the
    action's progress, recorded and published when it moved by TASK_PROGRESS_STEP. The end of the
    span is left to whoever finishes the step. None without an action to move."""
    if action_id is None:
        return None
    start, end = span
    written = start

    def told(percent: int) -> None:
        nonlocal written
        mapped = start + (end - start) * max(0, min(percent, 100)) // 100
        if mapped - written < TASK_PROGRESS_STEP or mapped >= end:
            return
        try:
            moved = _advance(rt, action_id, mapped)
        except DomainError as error:  # progress is a courtesy: the task goes on regardless
            log.warning("progress of action %s not recorded: %s", action_id, error.message)
            return
        written = mapped
        publish_progress(rt, moved)

    return told


def _advance(rt: Runtime, action_id: int, percent: int) -> Action | None:
    with rt.uow() as uow:
        stored = uow.actions.get(action_id)
        if stored is None or stored.finished:
            return None
        moved = stored.progressed(percent)
        if moved.progress == stored.progress:
            return None
        uow.actions.update(moved)
        uow.commit()
    return moved
