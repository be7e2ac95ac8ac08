"""Administration, continued: the catalogue document, the audit log, any customer's transactions
and servers."""

from __future__ import annotations

import falcon

from domain.model.catalogue_writer import write_catalogue
from domain.model.errors import RuleViolation, ValidationError
from domain.usecases import admin_reads
from domain.usecases.catalogue_admin import publish_catalogue, published_document
from entrypoints.http import codec
from entrypoints.http.body import parse
from entrypoints.http.resources.admin import ADMIN_ERRORS, server_page
from entrypoints.http.resources.base import (
    PAGE_PARAMS,
    Op,
    Resource,
    actor,
    int_query,
    moment,
    page_of,
    set_json,
)
from entrypoints.http.response_schemas import CATALOGUE_DOCUMENT, PAGE
from ports.audit import AuditQuery

MAX_TARGET = 200


class CatalogueDocument(Resource):
    """GET/PUT /api/admin/catalogue: the catalogue as the operator writes it (the JSON form of
    `hostprovider catalog export`). A PUT is read whole, every problem listed at once (422
    `invalid` on field `catalogue`, with `details.problems`), its templates checked on every
    node, and published as the next version; a `version` in it names the version it was edited
    from (409 when another was published since)."""

    auth = "admin"
    spec = {
        "get": Op(
            "The current catalogue as a document (503 before one is published)",
            "admin",
            None,
            CATALOGUE_DOCUMENT,
            200,
            (*ADMIN_ERRORS, 503),
        ),
        "put": Op(
            "Publish a catalogue document as the next version",
            "admin",
            CATALOGUE_DOCUMENT,
            CATALOGUE_DOCUMENT,
            200,
            (400, *ADMIN_ERRORS, 409, 415, 422),
        ),
    }

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        set_json(resp, published_document(self.rt, actor(req)))

    def on_put(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = parse(req, CATALOGUE_DOCUMENT)
        set_json(resp, write_catalogue(publish_catalogue(self.rt, actor(req), body)))


MAX_ACTOR = 999_999_999_999
AUDIT_PARAMS = (
    *PAGE_PARAMS,
    (
        "actor",
        {
            "type": "integer",
            "minimum": 0,
            "maximum": MAX_ACTOR,
            "description": "0: the operator's CLI",
        },
    ),
    (
        "target",
        {
            "type": "string",
            "minLength": 1,
            "maxLength": MAX_TARGET,
            "description": 'exact ("account:5"), or a prefix ending in "*" ("server:*")',
        },
    ),
    ("since", {"type": "string", "format": "date-time", "description": "inclusive"}),
    ("until", {"type": "string", "format": "date-time", "description": "exclusive"}),
)


def _audit_query(req: falcon.Request) -> AuditQuery:
    actor_id = int_query(req, "actor", 0, MAX_ACTOR)
    target = req.get_param("target")
    if target is not None and not 1 <= len(target) <= MAX_TARGET:
        raise ValidationError("target", f"must be 1-{MAX_TARGET} characters")
    since, until = moment(req.get_param("since"), "since"), moment(req.get_param("until"), "until")
    if since is not None and until is not None and until <= since:
        raise RuleViolation("until", "must be later than since")  # one field against another
    return AuditQuery(actor_id=actor_id, target=target, since=since, until=until)


class AuditLog(Resource):
    auth = "admin"
    spec = {
        "get": Op(
            "The audit log, newest first, filtered by actor, target and time",
            "admin",
            None,
            PAGE,
            200,
            (400, *ADMIN_ERRORS, 422),
            params=AUDIT_PARAMS,
        )
    }

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        page = page_of(req)
        items, total = admin_reads.read_audit(self.rt, actor(req), _audit_query(req), page)
        set_json(resp, codec.page([codec.audit_entry(e) for e in items], page, total))


class CustomerTransactions(Resource):
    auth = "admin"
    spec = {
        "get": Op(
            "A customer's transactions, newest first",
            "admin",
            None,
            PAGE,
            200,
            (400, *ADMIN_ERRORS, 404),
            params=PAGE_PARAMS,
        )
    }

    def on_get(self, req: falcon.Request, resp: falcon.Response, customer_id: int) -> None:
        page = page_of(req)
        items, total = admin_reads.customer_transactions(self.rt, actor(req), customer_id, page)
        set_json(
            resp,
            codec.page([codec.transaction(t, customer_id) for t in items], page, total),
        )


class CustomerServers(Resource):
    auth = "admin"
    spec = {
        "get": Op(
            "A customer's servers, deleted ones included",
            "admin",
            None,
            PAGE,
            200,
            (400, *ADMIN_ERRORS, 404),
            params=PAGE_PARAMS,
        )
    }

    def on_get(self, req: falcon.Request, resp: falcon.Response, customer_id: int) -> None:
        page = page_of(req)
        items, total = admin_reads.customer_servers(self.rt, actor(req), customer_id, page)
        set_json(resp, server_page(self.rt, items, page, total))
