"""The connection as the repositories use it: dict rows, and database errors as domain errors.

A refusal the repositories expect (a taken e-mail, address or key) is found with
`INSERT ... ON CONFLICT DO NOTHING` and reported without breaking the transaction. A constraint that
fires anyway (a race the repository did not foresee, or a bug) aborts the transaction; it surfaces
here as the domain error it stands for, and the unit of work can only roll back.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
from psycopg import errors as pg
from psycopg import sql
from psycopg.rows import dict_row

from adapters.postgres.pool import DATABASE_RETRY_AFTER
from domain.model.errors import (
    AlreadyExists,
    Conflict,
    DomainError,
    InsufficientFunds,
    NotFound,
    PromoCodeRejected,
    Unavailable,
    ValidationError,
)

log = logging.getLogger("hostprovider.postgres")

Row = dict[str, Any]


def domain_error(ex: psycopg.Error) -> DomainError:
    """The domain error a database error stands for, worded by us: the database's own text names
    tables, constraints and values (other customers' among them) and never reaches a client. It is
    logged here, and stays on the chain (`raise ... from`) for whoever debugs."""
    constraint = getattr(ex.diag, "constraint_name", None) or ""
    log.warning(
        "the database refused a statement (%s, constraint %r): %s",
        type(ex).__name__,
        constraint,
        getattr(ex.diag, "message_primary", None) or str(ex),
    )
    if isinstance(ex, pg.UniqueViolation):
        return AlreadyExists("this already exists")
    if isinstance(ex, pg.ForeignKeyViolation):
        return NotFound("referenced", "record")
    if constraint == "wallet_floor":
        return InsufficientFunds("the balance does not cover this amount")
    if constraint == "promo_total_uses":
        return PromoCodeRejected("exhausted", "the promo code has been used up")
    if constraint == "promo_uses_per_customer":
        return PromoCodeRejected("already_used", "you have already used this promo code")
    if isinstance(ex, pg.DeadlockDetected | pg.SerializationFailure | pg.LockNotAvailable):
        return Unavailable(
            "the database asked to retry this change", reason=type(ex).__name__, retry_after=1
        )
    if isinstance(ex, psycopg.OperationalError):  # also the pool's timeout: no connection to give
        return Unavailable(
            "the database is unreachable",
            reason=type(ex).__name__,
            retry_after=DATABASE_RETRY_AFTER,
        )
    if isinstance(ex, psycopg.DataError):
        # A value the columns cannot hold (text with NUL, a number past bigint): the HTTP schemas
        # and the domain refuse these first, naming the field; this is the last line.
        return ValidationError("body", "holds a value that cannot be stored")
    # A constraint the repository did not foresee, a trigger's refusal, or a bug.
    return Conflict("the change conflicts with the stored records")


@contextlib.contextmanager
def translated() -> Iterator[None]:
    try:
        yield
    except psycopg.Error as ex:
        raise domain_error(ex) from ex


# What makes a SELECT more than a read: a row lock, or a function that writes, locks or notifies.
# Such a statement (and anything that is not a SELECT) runs inside the unit of work's transaction.
_NOT_A_PLAIN_READ = re.compile(
    r"\bFOR\s+(NO\s+KEY\s+)?(UPDATE|SHARE|KEY\s+SHARE)\b"
    r"|\b(INSERT|UPDATE|DELETE|MERGE|LOCK|CALL|nextval|setval|set_config)\b"
    r"|\b(pg|procrastinate|ledger|promo)_\w+\s*\(",
    re.IGNORECASE,
)


def plain_read(query: object) -> bool:
    """A statement that only reads: under READ COMMITTED it sees the same rows in a transaction or
    out of one (each statement takes its own snapshot either way), so it needs none. Composed
    statements count as writes: only the repositories' literal SELECTs are read outside."""
    return isinstance(query, str) and _plain_select(query)


@functools.lru_cache(maxsize=4096)
def _plain_select(query: str) -> bool:
    return query.lstrip()[:6].upper() == "SELECT" and not _NOT_A_PLAIN_READ.search(query)


class Db:
    """Statements on the unit of work's connection, inside its transaction.

    `connection` gives the connection in its transaction (beginning it if need be); `reader`, when
    given, the connection as it stands, for plain reads (`plain_read`): a unit of work that only
    reads then runs no transaction at all (no BEGIN, no ROLLBACK: two round trips fewer)."""

    def __init__(
        self,
        connection: Callable[[], psycopg.Connection],
        reader: Callable[[], psycopg.Connection] | None = None,
    ) -> None:
        self._connection = connection
        self._reader = reader or connection

    @property
    def conn(self) -> psycopg.Connection:
        return self._connection()

    def _for(self, query: Any) -> psycopg.Connection:
        return self._reader() if plain_read(query) else self._connection()

    def rows(self, query: Any, params: Any = None) -> list[Row]:
        with translated(), self._for(query).cursor(row_factory=dict_row) as cur:
            cur.execute(query, params)
            return cur.fetchall()

    def row(self, query: Any, params: Any = None) -> Row | None:
        with translated(), self._for(query).cursor(row_factory=dict_row) as cur:
            cur.execute(query, params)
            return cur.fetchone()

    def row_pair(self, query: Any, params: Any, split_at: str) -> tuple[Row, Row] | None:
        """One row of a join as two: the columns before the one named `split_at`, and after it
        (`SELECT t.*, NULL AS split, a.* ...` reads two tables' rows, same-named columns and all,
        in one statement)."""
        with translated(), self._for(query).cursor() as cur:
            cur.execute(query, params)
            found = cur.fetchone()
            names = [c.name for c in cur.description or ()]
        if found is None:
            return None
        at = names.index(split_at)
        left = dict(zip(names[:at], found[:at], strict=True))
        return left, dict(zip(names[at + 1 :], found[at + 1 :], strict=True))

    def scalar(self, query: Any, params: Any = None) -> Any:
        with translated(), self._for(query).cursor() as cur:
            cur.execute(query, params)
            found = cur.fetchone()
            return None if found is None else found[0]

    def run(self, query: Any, params: Any = None) -> int:
        """Execute; the number of rows it touched."""
        with translated(), self.conn.cursor() as cur:
            cur.execute(query, params)
            return cur.rowcount

    def many(self, query: Any, params_seq: list[Any]) -> None:
        with translated(), self.conn.cursor() as cur:
            cur.executemany(query, params_seq)

    @contextlib.contextmanager
    def savepoint(self) -> Iterator[None]:
        """For the rare statement whose refusal must leave the transaction usable. Written out
        rather than `conn.transaction()`, which on a connection with no transaction yet would
        begin and COMMIT one of its own; SAVEPOINT makes psycopg begin the unit of work's."""
        conn = self.conn
        with translated():
            conn.execute("SAVEPOINT db_savepoint")
            try:
                yield
            except BaseException:
                if not conn.closed:
                    conn.execute("ROLLBACK TO SAVEPOINT db_savepoint")
                raise
            conn.execute("RELEASE SAVEPOINT db_savepoint")


def next_id(db: Db, table: str) -> int:
    """The next value of the table's id sequence: never handed out twice, even after a rollback."""
    value = db.scalar(sql.SQL("SELECT nextval({})").format(sql.Literal(f"{table}_id_seq")))
    return int(value)


def insert_new(db: Db, table: str, row: Row) -> bool:
    """Insert unless the row conflicts with a unique constraint; False when it did.

    An id stored without next_id (a seeded row) moves the sequence past it, so next_id never
    returns an id already in use."""
    columns = list(row)
    query = sql.SQL(
        "WITH ins AS (INSERT INTO {table} ({columns}) VALUES ({values})"
        " ON CONFLICT DO NOTHING RETURNING id)"
        " SELECT ins.id, (SELECT setval({seq}, ins.id) FROM {seq_table} s"
        "  WHERE s.last_value < ins.id OR NOT s.is_called) FROM ins"
    ).format(
        table=sql.Identifier(table),
        columns=sql.SQL(", ").join(map(sql.Identifier, columns)),
        values=sql.SQL(", ").join(sql.Placeholder(c) for c in columns),
        seq=sql.Literal(f"{table}_id_seq"),
        seq_table=sql.Identifier(f"{table}_id_seq"),
    )
    return db.row(query, row) is not None


def update_by_id(db: Db, table: str, row: Row, *, skip: tuple[str, ...] = ()) -> bool:
    """Overwrite the row with this id; False when there is none."""
    columns = [c for c in row if c != "id" and c not in skip]
    query = sql.SQL("UPDATE {table} SET {assignments} WHERE id = %(id)s").format(
        table=sql.Identifier(table),
        assignments=sql.SQL(", ").join(
            sql.SQL("{} = {}").format(sql.Identifier(c), sql.Placeholder(c)) for c in columns
        ),
    )
    return db.run(query, row) == 1


_TOTAL = "_paged_total"


def paged(db: Db, select: str, params: tuple[Any, ...], page: Any) -> tuple[list[Row], int]:
    """One page of `select` (which orders its rows) and the total count of what it selects.

    Both come from one statement, so from one snapshot: counted in a statement of its own, a row
    committed between the count and the page showed on a page whose total left it out (each
    statement sees its own snapshot under READ COMMITTED, in a transaction or not). The window
    counts every row before LIMIT takes the page; the outer query neither sorts nor joins, so the
    rows keep `select`'s order. An empty first page means nothing was selected: the total is 0. A
    page past the end has no row to carry the count, so it is counted alone; it may then count
    rows committed since, but no row on the page can disagree with it."""
    rows = db.rows(
        f"SELECT everything.*, count(*) OVER () AS {_TOTAL} FROM ({select}) AS everything"  # noqa: S608
        " LIMIT %s OFFSET %s",
        (*params, page.per_page, page.offset),
    )
    if not rows:
        if not page.offset:
            return [], 0
        return [], int(db.scalar(f"SELECT count(*) FROM ({select}) AS everything", params))  # noqa: S608
    total = int(rows[0][_TOTAL])
    for row in rows:
        del row[_TOTAL]
    return rows, total
