"""Starting a server's action inside a unit of work: the action recorded on the server and the job
that carries it out deferred, under the server's lock. Customer commands, dunning and an admin's
suspension all start their actions here."""

from __future__ import annotations

import datetime as dt

from domain.model.action import Action, ActionCommand
from domain.model.server import Server
from domain.usecases.billing import bill_server
from domain.usecases.server_access import begin_action
from ports.unit_of_work import UnitOfWork

ACTION_TASK = "run_server_action"


def defer_action(uow: UnitOfWork, server: Server, action: Action, **job_args: object) -> None:
    uow.jobs.defer(ACTION_TASK, lock=f"server:{server.id}", action_id=action.id, **job_args)


def begin_deletion(uow: UnitOfWork, server: Server, now: dt.datetime) -> Action:
    """Bill the server up to `now`, stop its meter, and defer the job that removes its guest."""
    action = begin_action(uow, server, ActionCommand.DELETE, "delete", now)
    if server.billable:
        bill_server(uow, server, now)
    server.start_deleting(now)
    uow.servers.update(server)
    defer_action(uow, server, action)
    return action
