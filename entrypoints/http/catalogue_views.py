"""The catalogue's public answers (locations, images, tariffs, parameters), each written once per
catalogue rather than once per request.

The stores hand out the same Catalogue object for as long as it is current (the memory store keeps
it; PostgreSQL's cache keeps the one it parsed, see adapters/postgres/catalogue_cache.py), so an
answer made from it stands until another object comes: compared by identity, never by value
(hashing a whole catalogue would cost more than writing the answer)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import falcon

from domain.model.catalogue import Catalogue
from entrypoints.http.fast_json import dumps


class CatalogueView:
    def __init__(self, build: Callable[[Catalogue], Any]) -> None:
        self._build = build
        self._made: tuple[Catalogue, bytes] | None = None

    def answer(self, resp: falcon.Response, catalogue: Catalogue) -> None:
        made = self._made  # one read: another thread may replace it meanwhile, never half
        if made is None or made[0] is not catalogue:
            made = (catalogue, dumps(self._build(catalogue)))
            self._made = made
        resp.status = falcon.HTTP_200
        resp.content_type = falcon.MEDIA_JSON
        resp.data = made[1]
