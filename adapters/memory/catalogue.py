"""The versioned catalogue in memory."""

from __future__ import annotations

from adapters.memory.tables import Tables
from domain.model.catalogue import Catalogue
from domain.model.errors import Conflict, NoCatalogue


class InMemoryCatalogueRepository:
    def __init__(self, uow: Tables) -> None:
        self._uow = uow

    def current(self) -> Catalogue:
        versions: dict[int, Catalogue] = self._uow.read("catalogues")
        if not versions:
            raise NoCatalogue()
        return versions[max(versions)]

    def publish(self, catalogue: Catalogue) -> None:
        versions: dict[int, Catalogue] = self._uow.read("catalogues")
        if versions and catalogue.version <= max(versions):
            raise Conflict(
                f"catalogue version {catalogue.version} is not newer than {max(versions)}",
                current=max(versions),
            )
        self._uow.write("catalogues")[catalogue.version] = catalogue
