"""What a database refusal becomes: a domain error in our words, never the database's text (which
names tables, constraints and values), with the database's own message logged for the operator."""

from __future__ import annotations

import logging

import pytest

from adapters.postgres.session import Db
from domain.model.errors import AlreadyExists, Conflict, DomainError, ValidationError

from .postgres import PgDatabase


def refusal(pg: PgDatabase, statement: str, params: tuple[object, ...] = ()) -> DomainError:
    with pg.pool.connection() as conn, pytest.raises(DomainError) as refused:
        Db(lambda: conn).run(statement, params)
    return refused.value


@pytest.mark.parametrize(
    ("statement", "params", "said_by_the_database"),
    [
        ("SELECT %s::text", ("a\u0000b",), "NUL"),
        ("SELECT 9223372036854775807::bigint + %s", (1,), "bigint out of range"),
        ("SELECT %s::numeric::bigint", (10**30,), "bigint out of range"),
    ],
)
def test_a_value_the_columns_cannot_hold_is_a_validation_error_in_our_words(
    pg: PgDatabase,
    caplog: pytest.LogCaptureFixture,
    statement: str,
    params: tuple[object, ...],
    said_by_the_database: str,
) -> None:
    with caplog.at_level(logging.WARNING, logger="hostprovider.postgres"):
        error = refusal(pg, statement, params)

    assert isinstance(error, ValidationError)
    assert said_by_the_database not in error.message
    assert said_by_the_database not in repr(error.details)
    assert said_by_the_database in caplog.text


def test_an_unforeseen_constraint_is_a_conflict_that_names_nothing(
    pg: PgDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    with pg.pool.connection() as conn:
        conn.execute("CREATE TEMP TABLE secret_things (n int CONSTRAINT secret_rule CHECK (n > 0))")
        with (
            caplog.at_level(logging.WARNING, logger="hostprovider.postgres"),
            pytest.raises(Conflict) as refused,
        ):
            Db(lambda: conn).run("INSERT INTO secret_things VALUES (%s)", (-7,))
        conn.rollback()

    assert not isinstance(refused.value, AlreadyExists)
    assert "secret" not in refused.value.message + repr(refused.value.details)
    assert "secret_rule" in caplog.text


def test_a_duplicate_names_neither_the_constraint_nor_the_value(
    pg: PgDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    with pg.pool.connection() as conn:
        conn.execute("CREATE TEMP TABLE emails (e text CONSTRAINT emails_unique UNIQUE)")
        conn.execute("INSERT INTO emails VALUES ('ann@example.com')")
        with (
            caplog.at_level(logging.WARNING, logger="hostprovider.postgres"),
            pytest.raises(AlreadyExists) as refused,
        ):
            Db(lambda: conn).run("INSERT INTO emails VALUES (%s)", ("ann@example.com",))
        conn.rollback()

    shown = refused.value.message + repr(refused.value.details)
    assert "emails_unique" not in shown and "ann@example.com" not in shown
    assert "emails_unique" in caplog.text
