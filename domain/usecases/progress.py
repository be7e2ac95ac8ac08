"""How far an action has come, told live: each step of a saga moves its action's `progress`, and
every change (a step done, the action finished) is published on `action-progress` for the
owner's live connection. Published after the change is committed, so nobody hears of progress
that was then rolled back."""

from __future__ import annotations

from domain.model.action import Action
from domain.usecases.runtime import Runtime

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
