"""Monthly statements: the caller's own (/api/statements/{YYYY-MM}) and, for admins, any
customer's. JSON by default; a PDF or a CSV when the Accept header prefers one, or `?format=`
says which (the query wins: a link in a browser cannot set headers)."""

from __future__ import annotations

import falcon

from domain.model.errors import ValidationError
from domain.model.statements import Period, Statement
from domain.usecases.statements import StatementRequest, monthly_statement
from entrypoints.http.resources.admin import ADMIN_ERRORS
from entrypoints.http.resources.base import Op, Resource, actor, set_json
from entrypoints.http.response_schemas import MONEY
from entrypoints.http.statement_pdf import statement_pdf
from entrypoints.http.statement_views import statement_csv, statement_json

PDF, CSV = "application/pdf", "text/csv"
FORMATS = {"json": falcon.MEDIA_JSON, "csv": CSV, "pdf": PDF}
PERIOD = {
    "type": "string",
    "pattern": r"^(19|2[0-9])[0-9]{2}-(0[1-9]|1[0-2])$",
    "description": "a calendar month in UTC, YYYY-MM",
    "examples": ["2026-11"],
}
FORMAT_PARAM = ("format", {"enum": sorted(FORMATS), "description": "overrides Accept"})
STATEMENT = {
    "type": "object",
    "required": ["customerId", "period", "openingBalance", "closingBalance", "charges", "byKind"],
    "properties": {
        "customerId": {"type": "integer"},
        "period": {"type": "string"},
        "from": {"type": "string", "format": "date-time"},
        "until": {"type": "string", "format": "date-time"},
        "currency": {"type": "string"},
        "openingBalance": MONEY,
        "closingBalance": MONEY,
        "closingHeld": {
            **MONEY,
            "description": "of the closing balance, what was held for orders being built",
        },
        "charges": {
            "type": "object",
            "description": "captured holds, one-off charges and usage, by server",
        },
        "byKind": {
            "type": "array",
            "description": "every other transaction (top-ups, payments, promo credits, refunds, "
            "corrections), by kind",
        },
    },
}


def _statement_op(summary: str, tag: str, errors: tuple[int, ...]) -> Op:
    return Op(
        summary,
        tag,
        None,
        STATEMENT,
        200,
        (*errors, 422),
        params=(FORMAT_PARAM,),
        path=(("period", PERIOD),),
        media=(CSV, PDF),
    )


def _media(req: falcon.Request) -> str:
    chosen = req.get_param("format")
    if chosen is not None:
        if chosen not in FORMATS:
            raise ValidationError("format", "must be one of " + ", ".join(sorted(FORMATS)))
        return FORMATS[chosen]
    return req.client_prefers([falcon.MEDIA_JSON, CSV, PDF]) or falcon.MEDIA_JSON


def _answer(req: falcon.Request, resp: falcon.Response, st: Statement) -> None:
    media = _media(req)
    if media == falcon.MEDIA_JSON:
        set_json(resp, statement_json(st))
        return
    extension = "pdf" if media == PDF else "csv"
    resp.content_type = media if media == PDF else f"{CSV}; charset=utf-8"
    resp.data = statement_pdf(st) if media == PDF else statement_csv(st)
    resp.downloadable_as = f"statement-{st.customer_id}-{st.period}.{extension}"


class MyStatement(Resource):
    spec = {"get": _statement_op("My statement for a month", "account", (401,))}

    def on_get(self, req: falcon.Request, resp: falcon.Response, period: str) -> None:
        st = monthly_statement(self.rt, actor(req), StatementRequest(Period.parse(period)))
        _answer(req, resp, st)


class CustomerStatement(Resource):
    auth = "admin"
    spec = {
        "get": _statement_op("A customer's statement for a month", "admin", (*ADMIN_ERRORS, 404))
    }

    def on_get(
        self, req: falcon.Request, resp: falcon.Response, customer_id: int, period: str
    ) -> None:
        request = StatementRequest(Period.parse(period), customer_id)
        st = monthly_statement(self.rt, actor(req), request)
        _answer(req, resp, st)
