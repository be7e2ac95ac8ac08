"""Starting a server's action inside a unit of work: the action recorded on the server and the job
that carries it out deferred, under the server's lock. Customer commands, dunning and an admin's
suspension all start their actions here."""

from __future__ import annotations

import datetime as dt

from domain.model.action import Action, ActionCommand
from domain.model.server import COMMANDS, Server
from domain.usecases.billing import bill_server
from domain.usecases.server_access import begin_action
from ports.unit_of_work import UnitOfWork


def defer_action(
    uow: UnitOfWork, server: Server, action: Action, *, sealed_secret: str | None = None
) -> None:
    """Defer the job the command's entry in the table names (every command but create: the
    action job, `run_server_action`). A new password travels sealed: job arguments rest in the
    database."""
    job = COMMANDS[action.command].job
    if sealed_secret is None:
        uow.jobs.defer(job, lock=f"server:{server.id}", action_id=action.id)
    else:
        uow.jobs.defer(
            job, lock=f"server:{server.id}", action_id=action.id, sealed_secret=sealed_secret
        )


def begin_deletion(uow: UnitOfWork, server: Server, now: dt.datetime) -> Action:
    """Bill the server up to `now`, stop its meter, and defer the job that removes its guest."""
    action = begin_action(uow, server, ActionCommand.DELETE, now)
    if server.billable:
        bill_server(uow, server, now)
    server.start_deleting(now)
    uow.servers.update(server)
    defer_action(uow, server, action)
    return action
