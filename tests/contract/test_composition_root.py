"""The composition root's three wirings: the sandbox publishes its catalogue, PostgreSQL gets
nothing it did not ask for, and the test wiring uses exactly the parts it is given."""

from __future__ import annotations

import attrs
import pytest

from adapters.memory import InMemoryStore
from adapters.postgres.uow import PostgresUnitOfWorkFactory
from domain.model.errors import NoCatalogue
from domain.usecases.catalogue import current_catalogue
from entrypoints.container import Wiring, build, for_postgres, for_sandbox
from entrypoints.metrics import CountingEventPublisher
from tests.backoffice import FAST, Backoffice

from .postgres import PgDatabase


def test_the_sandbox_publishes_its_catalogue() -> None:
    container = for_sandbox(FAST)
    assert container.wiring() is Wiring.SANDBOX
    assert isinstance(container.store(), InMemoryStore)
    assert current_catalogue(container.runtime()).version == 1


def test_a_database_is_given_no_catalogue(pg: PgDatabase) -> None:
    settings = attrs.evolve(FAST, database_url=pg.url, db_pool_size=1)
    for container in (build(settings), for_postgres(settings, pool=pg.pool)):
        assert container.wiring() is Wiring.POSTGRES
        assert isinstance(container.store(), PostgresUnitOfWorkFactory)
        with pytest.raises(NoCatalogue):
            current_catalogue(container.runtime())
        if container.pool() is not pg.pool:
            container.pool().close()


def test_the_test_wiring_runs_on_the_parts_it_is_given() -> None:
    office = Backoffice(catalogue=False)
    rt = office.rt
    assert office.container.wiring() is Wiring.TEST
    assert rt.uow is office.store and rt.clock is office.clock
    assert rt.hypervisor is office.hypervisor and rt.fabric is office.fabric
    assert rt.mailer is office.mailer
    assert isinstance(rt.events, CountingEventPublisher) and rt.events.inner is office.events
    with pytest.raises(NoCatalogue):  # nothing seeded unless the test asks
        current_catalogue(rt)
