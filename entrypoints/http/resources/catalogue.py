"""The catalogue and quotes: what can be ordered, where, and for how much."""

from __future__ import annotations

from typing import Any

import falcon

from domain.model.commands import OrderRequest
from domain.usecases.catalogue import current_catalogue, quote_order
from entrypoints.http import codec
from entrypoints.http.commands import command_from, structure
from entrypoints.http.resources.base import Op, Resource, set_json
from entrypoints.http.response_schemas import ANY_ARRAY, ANY_OBJECT, QUOTE_RESPONSE
from entrypoints.http.schemas import QUOTE

NO_CATALOGUE = (503,)  # on a database, until the operator publishes a catalogue


class Locations(Resource):
    auth = "public"
    spec = {
        "get": Op("Locations servers can run in", "catalogue", None, ANY_ARRAY, 200, NO_CATALOGUE)
    }

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        set_json(resp, [codec.location(loc) for loc in current_catalogue(self.rt).locations])


class OsImages(Resource):
    auth = "public"
    spec = {"get": Op("Operating systems", "catalogue", None, ANY_ARRAY, 200, NO_CATALOGUE)}

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        set_json(resp, [codec.os_image(i) for i in current_catalogue(self.rt).images])


class Tariffs(Resource):
    auth = "public"
    spec = {
        "get": Op(
            "Tariffs: named presets with a monthly price",
            "catalogue",
            None,
            ANY_ARRAY,
            200,
            NO_CATALOGUE,
        )
    }

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        set_json(resp, [codec.tariff(t) for t in current_catalogue(self.rt).tariffs])


class Parameters(Resource):
    auth = "public"
    spec = {
        "get": Op(
            "Resource limits and hourly rates per location",
            "catalogue",
            None,
            ANY_OBJECT,
            200,
            NO_CATALOGUE,
        )
    }

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        set_json(resp, codec.parameters(current_catalogue(self.rt)))


def order_request(body: dict[str, Any]) -> OrderRequest:
    """An order or quote from a body that passed ORDER or QUOTE."""
    return structure(body, OrderRequest)


class Quote(Resource):
    """A price for any configuration.

    Logged in, the quote is signed for the caller and a promo code's per-customer limits are
    checked; anonymous quotes are signed for nobody and bind any customer."""

    auth = "optional"
    spec = {
        "post": Op(
            "Price a configuration (signed quote)",
            "catalogue",
            QUOTE,
            QUOTE_RESPONSE,
            200,
            (400, 404, 422, *NO_CATALOGUE),
        )
    }

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        request = command_from(req, QUOTE, OrderRequest)
        set_json(resp, codec.quote(quote_order(self.rt, req.context.get("actor"), request)))
