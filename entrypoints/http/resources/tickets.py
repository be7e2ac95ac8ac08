"""Support tickets over HTTP: the customer's own (/api/tickets) and staff's view of all of them
(/api/admin/tickets). Bodies are checked against their schema, then turned into the use cases'
commands by a strict cattrs converter: the commands' own validators are the domain's rules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import cattrs
import falcon
from cattrs.gen import make_dict_structure_fn, override

from domain.model.errors import ValidationError
from domain.model.tickets import MESSAGE_MAX, SUBJECT_MAX, Ticket, TicketStatus
from domain.usecases import tickets as uc
from domain.usecases.actors import Actor
from domain.usecases.runtime import Runtime
from entrypoints.http import codec
from entrypoints.http.body import parse
from entrypoints.http.idempotency import run_once
from entrypoints.http.resources.base import PAGE_PARAMS, Op, Resource, actor, page_of, set_json
from entrypoints.http.response_schemas import PAGE
from entrypoints.http.schemas import ID, TIME, obj, trimmed

# --- bodies and views ----------------------------------------------------------------------------

# The domain's rules, stated for clients: something visible, within the bounds; a subject is one
# line.
MESSAGE = trimmed(1, MESSAGE_MAX, description="plain text, kept exactly as written")
SUBJECT = {**trimmed(1, SUBJECT_MAX), "allOf": [{"pattern": r"^[^\r\n]*$"}]}
TICKET_OPEN = obj(
    {
        "subject": SUBJECT,
        "message": MESSAGE,
        "serverId": {"oneOf": [ID, {"type": "null"}], "description": "one of your servers"},
    },
    ("subject", "message"),
)
TICKET_MESSAGE = obj({"message": MESSAGE}, ("message",))
STATUS_NAMES = [s.value for s in TicketStatus]
TICKET_STATUS = obj({"status": {"enum": STATUS_NAMES}}, ("status",))
TICKET_VIEW = {
    "type": "object",
    "required": ["id", "status", "subject", "serverId", "createdAt", "updatedAt"],
    "properties": {
        "id": {"type": "integer"},
        "userId": {"type": "integer"},
        "status": {"enum": STATUS_NAMES},
        "subject": {"type": "string"},
        "serverId": {"type": ["integer", "null"]},
        "createdAt": TIME,
        "updatedAt": TIME,
        "messageCount": {"type": "integer"},
        "messages": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["author", "message", "at"],
                "properties": {
                    "author": {"enum": ["customer", "staff"]},
                    "message": {"type": "string"},
                    "at": TIME,
                },
            },
        },
    },
}
STATUS_PARAM = ("status", {"enum": STATUS_NAMES})


def ticket_view(ticket: Ticket, *, messages: bool = True) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": ticket.id,
        "userId": ticket.owner_id,
        "status": ticket.status.value,
        "subject": ticket.subject,
        "serverId": ticket.server_id,
        "createdAt": codec.when(ticket.created_at),
        "updatedAt": codec.when(ticket.updated_at),
        "messageCount": len(ticket.messages),
    }
    if messages:
        view["messages"] = [
            {"author": m.author.value, "message": m.body, "at": codec.when(m.at)}
            for m in ticket.messages
        ]
    return view


def _page(items: list[Ticket], query: uc.TicketQuery, total: int) -> dict[str, Any]:
    views = [ticket_view(t, messages=False) for t in items]
    return codec.page(views, query.page, total)


# --- commands from bodies ------------------------------------------------------------------------

_commands = cattrs.Converter(forbid_extra_keys=True, detailed_validation=False)
_commands.register_structure_hook(
    uc.OpenTicket,
    make_dict_structure_fn(
        uc.OpenTicket,
        _commands,
        _cattrs_forbid_extra_keys=True,
        server_id=override(rename="serverId"),
    ),
)


def _command(cls: type[Any], body: dict[str, Any], **path: Any) -> Any:
    return _commands.structure({**body, **path}, cls)


def _query(req: falcon.Request, *, with_status: bool = False) -> uc.TicketQuery:
    raw = req.get_param("status") if with_status else None
    if raw is not None and raw not in STATUS_NAMES:
        raise ValidationError("status", "must be one of " + ", ".join(STATUS_NAMES))
    return uc.TicketQuery(page_of(req), TicketStatus(raw) if raw is not None else None)


def _created(
    rt: Runtime,
    req: falcon.Request,
    resp: falcon.Response,
    write: Callable[..., Ticket],
    command: Any,
) -> None:
    """Run a write that adds to a ticket once per Idempotency-Key: 201 with the ticket."""
    who = actor(req)
    run_once(rt, req, resp, who, lambda: (falcon.HTTP_201, ticket_view(write(rt, who, command))))


CUSTOMER_ERRORS = (400, 401, 404, 409, 422, 429)

# --- the customer's tickets ----------------------------------------------------------------------


class Tickets(Resource):
    spec = {
        "get": Op(
            "My support tickets, newest first",
            "support",
            None,
            PAGE,
            200,
            (400, 401),
            params=PAGE_PARAMS,
        ),
        "post": Op(
            "Open a support ticket",
            "support",
            TICKET_OPEN,
            TICKET_VIEW,
            201,
            CUSTOMER_ERRORS,
            idempotent_key=True,
        ),
    }

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        query = _query(req)
        items, total = uc.my_tickets(self.rt, actor(req), query)
        set_json(resp, _page(items, query, total))

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        _created(
            self.rt, req, resp, uc.open_ticket, _command(uc.OpenTicket, parse(req, TICKET_OPEN))
        )


class TicketItem(Resource):
    spec = {
        "get": Op(
            "One of my tickets, with its messages", "support", None, TICKET_VIEW, 200, (401, 404)
        )
    }

    def on_get(self, req: falcon.Request, resp: falcon.Response, ticket_id: int) -> None:
        set_json(resp, ticket_view(uc.my_ticket(self.rt, actor(req), uc.TicketRef(ticket_id))))


class TicketMessages(Resource):
    """A message in a ticket: the customer's here, staff's answer in the subclass below."""

    write: Callable[[Runtime, Actor, uc.WriteMessage], Ticket] = staticmethod(uc.write_message)
    spec = {
        "post": Op(
            "Write in one of my tickets (it is open again)",
            "support",
            TICKET_MESSAGE,
            TICKET_VIEW,
            201,
            CUSTOMER_ERRORS,
            idempotent_key=True,
        )
    }

    def on_post(self, req: falcon.Request, resp: falcon.Response, ticket_id: int) -> None:
        command = _command(uc.WriteMessage, parse(req, TICKET_MESSAGE), ticket_id=ticket_id)
        _created(self.rt, req, resp, self.write, command)


class TicketClose(Resource):
    spec = {"post": Op("Close one of my tickets", "support", None, TICKET_VIEW, 200, (401, 404))}

    def on_post(self, req: falcon.Request, resp: falcon.Response, ticket_id: int) -> None:
        closed = uc.close_ticket(self.rt, actor(req), uc.TicketRef(ticket_id))
        set_json(resp, ticket_view(closed))


# --- staff ---------------------------------------------------------------------------------------

STAFF_ERRORS = (400, 401, 403, 404)


class AdminTickets(Resource):
    auth = "admin"
    spec = {
        "get": Op(
            "Every support ticket, newest first, by status",
            "admin",
            None,
            PAGE,
            200,
            STAFF_ERRORS,
            params=(*PAGE_PARAMS, STATUS_PARAM),
        )
    }

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        query = _query(req, with_status=True)
        items, total = uc.all_tickets(self.rt, actor(req), query)
        set_json(resp, _page(items, query, total))


class AdminTicketItem(Resource):
    auth = "admin"
    spec = {
        "get": Op(
            "A support ticket, with its messages", "admin", None, TICKET_VIEW, 200, STAFF_ERRORS
        )
    }

    def on_get(self, req: falcon.Request, resp: falcon.Response, ticket_id: int) -> None:
        set_json(resp, ticket_view(uc.any_ticket(self.rt, actor(req), uc.TicketRef(ticket_id))))


class AdminTicketMessages(TicketMessages):
    auth = "admin"
    write = staticmethod(uc.reply)
    spec = {
        "post": Op(
            "Answer a ticket: the customer is e-mailed the answer",
            "admin",
            TICKET_MESSAGE,
            TICKET_VIEW,
            201,
            (*STAFF_ERRORS, 409, 422),
            idempotent_key=True,
        )
    }


class AdminTicketStatus(Resource):
    auth = "admin"
    spec = {
        "post": Op("Set a ticket's status", "admin", TICKET_STATUS, TICKET_VIEW, 200, STAFF_ERRORS)
    }

    def on_post(self, req: falcon.Request, resp: falcon.Response, ticket_id: int) -> None:
        command = _command(uc.SetStatus, parse(req, TICKET_STATUS), ticket_id=ticket_id)
        set_json(resp, ticket_view(uc.set_status(self.rt, actor(req), command)))
