"""An API worker and a database that is away: refusing connections, or full ("too many clients").

The worker is built as gunicorn's worker builds it (`database_app`), on a database of its own. It
must come up anyway (a worker that fails to boot makes gunicorn stop the whole API), answer 503
with a short Retry-After meanwhile, and serve as soon as the database is back."""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Callable, Iterator

import attrs
import psycopg
import pytest
from falcon import testing
from psycopg import sql
from psycopg.conninfo import make_conninfo

from adapters.postgres.migrate import migrate
from entrypoints import sandbox
from entrypoints.config import Settings
from entrypoints.container import build
from entrypoints.serve import database_app, prepare_database
from tests.backoffice import FAST

from .postgres import ScratchDatabase, admin_connection, refused_connections


def settings_for(url: str) -> Settings:
    return attrs.evolve(FAST, database_url=url, db_pool_size=2)


def _publish_the_sandbox_catalogue(url: str) -> None:
    container = build(settings_for(url))
    try:
        sandbox.seed(container.runtime().uow)
    finally:
        container.pool().close()


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    admin = admin_connection()
    scratch = ScratchDatabase.create(admin)
    try:
        migrate(scratch.url)
        prepare_database(settings_for(scratch.url))
        _publish_the_sandbox_catalogue(scratch.url)  # as an operator's `catalog import` would
        yield scratch.url
    finally:
        scratch.drop()
        admin.close()


@contextlib.contextmanager
def worker(url: str) -> Iterator[testing.TestClient]:
    app, container = database_app(settings_for(url))
    try:
        yield testing.TestClient(app)
    finally:
        container.pool().close()


@contextlib.contextmanager
def full_database_role(url: str) -> Iterator[tuple[str, Callable[[], None]]]:
    """A login role that may use the database's tables, whose connections PostgreSQL refuses as it
    refuses any once it is full (SQLSTATE 53300, too_many_connections) until `make_room()`.
    (Superusers keep reserved slots, so the server's own limit cannot be shown with them.)"""
    role = f"hostprovider_full_{secrets.token_hex(4)}"
    name = sql.Identifier(role)
    admin = admin_connection()
    try:
        admin.execute(sql.SQL("CREATE ROLE {} LOGIN CONNECTION LIMIT 0").format(name))
        with psycopg.connect(url, autocommit=True) as conn:
            for grant in (
                "GRANT USAGE ON SCHEMA public TO {}",
                "GRANT ALL ON ALL TABLES IN SCHEMA public TO {}",
                "GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {}",
                "GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO {}",
            ):
                conn.execute(sql.SQL(grant).format(name))

        def make_room() -> None:
            admin.execute(sql.SQL("ALTER ROLE {} CONNECTION LIMIT -1").format(name))

        yield make_conninfo(url, user=role), make_room
    finally:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (role,)
        )
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP OWNED BY {}").format(name))
        admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(name))
        admin.close()


def assert_unavailable(client: testing.TestClient) -> None:
    ready = client.simulate_get("/readyz")
    assert ready.status_code == 503, ready.text
    assert ready.json["checks"]["store"].startswith("failing")
    assert 1 <= int(ready.headers["Retry-After"]) <= 5
    catalogue = client.simulate_get("/api/locations")
    assert catalogue.status_code == 503, catalogue.text
    assert catalogue.json["code"] == "unavailable"
    assert 1 <= int(catalogue.headers["Retry-After"]) <= 5


def assert_serving(client: testing.TestClient) -> None:
    ready = client.simulate_get("/readyz")
    assert ready.status_code == 200, ready.text
    assert client.simulate_get("/api/locations").status_code == 200


def wait_serving(client: testing.TestClient, seconds: float = 15.0) -> None:
    """The pool reconnects in the background with its own backoff: ask until it has."""
    deadline = time.monotonic() + seconds
    while client.simulate_get("/readyz").status_code != 200:
        assert time.monotonic() < deadline, "the worker did not serve again"
        time.sleep(0.2)
    assert_serving(client)


def test_a_worker_boots_while_the_database_refuses_connections_and_serves_once_it_is_back(
    database: str,
) -> None:
    with refused_connections(database), worker(database) as client:
        assert_unavailable(client)
        assert_unavailable(client)  # and again: nothing is stuck half-open
    with worker(database) as client:
        assert_serving(client)


def test_a_serving_worker_answers_503_during_an_outage_and_serves_after(database: str) -> None:
    with worker(database) as client:
        wait_serving(client)
        with refused_connections(database):
            assert_unavailable(client)
        wait_serving(client)


def test_a_worker_boots_while_the_database_is_full_and_serves_once_there_is_room(
    database: str,
) -> None:
    with full_database_role(database) as (url, make_room), worker(url) as client:
        assert_unavailable(client)
        make_room()
        wait_serving(client)
