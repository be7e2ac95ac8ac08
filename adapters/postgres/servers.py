"""Servers and their actions in PostgreSQL.

A server's fields are real columns where they are queried or constrained (status, owner, the
billing watermark, the vmid and MAC); adapters/postgres/server_rows.py maps them to and from the
model.
"""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Iterable

from psycopg.types.json import Jsonb

from adapters.postgres.rows import structure, unstructure
from adapters.postgres.server_rows import server_from, server_row
from adapters.postgres.session import Db, Row, insert_new, next_id, paged, update_by_id
from domain.model.action import Action, ActionCommand, params_from_stored, stored_params
from domain.model.errors import AlreadyExists, NotFound
from domain.model.server import COMMANDS, Server
from domain.model.server_status import BILLABLE, GONE, IN_PROGRESS, ServerStatus
from ports.paging import Page


def _values(states: Iterable[ServerStatus]) -> list[str]:
    """A set of states as the status column spells them, for `status = ANY(%s)`."""
    return sorted(state.value for state in states)


# Server.billable in SQL, with the billable states as its parameter.
_BILLABLE = "status = ANY(%s) AND NOT suspended_by_admin"


class PostgresServerRepository:
    def __init__(self, db: Db) -> None:
        self._db = db

    def next_id(self) -> int:
        return next_id(self._db, "servers")

    def add(self, server: Server) -> None:
        if not insert_new(self._db, "servers", server_row(server)):
            if self.get(server.id) is not None:
                raise AlreadyExists(f"server {server.id} exists", id=server.id)
            raise AlreadyExists("the vmid or MAC address belongs to another server")

    def get(self, server_id: int) -> Server | None:
        return self._one("SELECT * FROM servers WHERE id = %s", server_id)

    def get_for_update(self, server_id: int) -> Server | None:
        # The row lock is held until the unit of work ends: another get_for_update waits, and then
        # reads the committed result (READ COMMITTED re-reads the row once it has the lock).
        return self._one("SELECT * FROM servers WHERE id = %s FOR UPDATE", server_id)

    def update(self, server: Server) -> None:
        # A vmid or MAC that another live server holds aborts the transaction (AlreadyExists).
        if not update_by_id(self._db, "servers", server_row(server)):
            raise NotFound("server", server.id)

    def for_owner(self, owner_id: int, *, include_deleted: bool = False) -> builtins.list[Server]:
        return self._many(
            "SELECT * FROM servers WHERE owner_id = %s AND (%s OR status <> 'deleted') ORDER BY id",
            (owner_id, include_deleted),
        )

    def billable_before(self, moment: dt.datetime, limit: int) -> builtins.list[Server]:
        return self._many(
            f"SELECT * FROM servers WHERE {_BILLABLE} AND billed_until < %s"
            " ORDER BY billed_until, id LIMIT %s",
            (_values(BILLABLE), moment, max(limit, 0)),
        )

    def hourly_burn(self, owner_id: int) -> int:
        return int(
            self._db.scalar(
                f"SELECT COALESCE(sum(hourly_micro), 0) FROM servers WHERE owner_id = %s"
                f" AND {_BILLABLE}",
                (owner_id, _values(BILLABLE)),
            )
        )

    def list(self, page: Page) -> tuple[builtins.list[Server], int]:
        rows, total = paged(self._db, "SELECT * FROM servers ORDER BY id", (), page)
        return [server_from(r) for r in rows], total

    def by_vmid(self, vmid: int) -> Server | None:
        """A live server before a deleted one, then the newest."""
        return self._one(
            "SELECT * FROM servers WHERE vmid = %s ORDER BY status <> 'deleted' DESC, id DESC"
            " LIMIT 1",
            vmid,
        )

    def running(self) -> builtins.list[Server]:
        return self._many(
            "SELECT * FROM servers WHERE status = 'running' AND vmid IS NOT NULL ORDER BY id", ()
        )

    def in_progress(self) -> builtins.list[Server]:
        return self._many(
            "SELECT * FROM servers WHERE status = ANY(%s) ORDER BY id", (_values(IN_PROGRESS),)
        )

    def placed_in(self, location_id: int) -> builtins.list[Server]:
        return self._many(
            "SELECT * FROM servers WHERE location_id = %s AND vmid IS NOT NULL"
            " AND status <> ALL(%s) ORDER BY id",
            (location_id, _values(GONE)),
        )

    def _one(self, query: str, param: object) -> Server | None:
        row = self._db.row(query, (param,))
        return server_from(row) if row else None

    def _many(self, query: str, params: tuple[object, ...]) -> builtins.list[Server]:
        return [server_from(r) for r in self._db.rows(query, params)]


def action_row(action: Action) -> Row:
    data = unstructure(action)
    error = data.pop("error")
    data["error_code"] = error and error["code"]
    data["error_message"] = error and error["message"]
    # Stored as [name, text] pairs, whatever the command: rows of every age read alike.
    data["params"] = Jsonb([list(pair) for pair in stored_params(action.params)])
    return data


def action_from(row: Row) -> Action:
    r = dict(row)
    code, message = r.pop("error_code"), r.pop("error_message")
    r["error"] = None if code is None else {"code": code, "message": message}
    # Typed by the command's entry in the commands' table.
    kind = COMMANDS[ActionCommand(r["command"])].params
    r["params"] = params_from_stored(kind, r["params"])
    return structure(r, Action)


class PostgresActionRepository:
    def __init__(self, db: Db) -> None:
        self._db = db

    def next_id(self) -> int:
        return next_id(self._db, "actions")

    def add(self, action: Action) -> None:
        if not insert_new(self._db, "actions", action_row(action)):
            raise AlreadyExists(f"action {action.id} exists", id=action.id)

    def get(self, action_id: int) -> Action | None:
        row = self._db.row("SELECT * FROM actions WHERE id = %s", (action_id,))
        return action_from(row) if row else None

    def update(self, action: Action) -> None:
        if not update_by_id(self._db, "actions", action_row(action)):
            raise NotFound("action", action.id)

    def for_server(self, server_id: int) -> list[Action]:
        rows = self._db.rows("SELECT * FROM actions WHERE server_id = %s ORDER BY id", (server_id,))
        return [action_from(r) for r in rows]

    def running_by_command(self) -> dict[str, int]:
        rows = self._db.rows(
            "SELECT command, count(*) AS n FROM actions WHERE status = 'running' GROUP BY command"
        )
        return {str(r["command"]): int(r["n"]) for r in rows}
