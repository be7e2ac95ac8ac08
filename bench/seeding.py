"""What the PostgreSQL benches seed, in one place: servers written straight into a migrated
database with COPY (the shape the product itself stores, from `server_row`), and the small helpers
every bench that starts processes needs."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg import sql

from adapters.postgres.server_rows import server_row
from domain.model.catalogue import GuestKind, ServerConfig
from domain.model.metering import Meter
from domain.model.money import Money
from domain.model.promo import NO_DISCOUNT
from domain.model.server import Placement, Server, ServerStatus

START = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)  # the seeded servers are billed up to here
HOURLY = Money.parse("1.90", "RUB")
MONTHLY_CAP = Money.parse("600.00", "RUB")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def template_row() -> dict[str, Any]:
    """One running LXC server's row, as the product stores it."""
    server = Server(
        id=1,
        owner_id=1,
        name="s1",
        location_id=1,
        image_id=1,
        tariff_id=2,
        guest_kind=GuestKind.LXC,
        config=ServerConfig(2, 2048, 40),
        status=ServerStatus.RUNNING,
        created_at=START,
        updated_at=START,
        catalogue_version=1,
        meter=Meter.start(HOURLY, MONTHLY_CAP, NO_DISCOUNT, START),
        placement=Placement(node="pve-msk-1", vmid=100),
    )
    # COPY's text format lets the server parse each value by its column's type.
    return {k: "{}" if v == [] else v for k, v in server_row(server).items()}


def copy_servers(url: str, count: int, owner_of: Callable[[int], int]) -> None:
    """Servers 1..count (vmids from 100), server n owned by `owner_of(n)`; later ids follow."""
    row = template_row()
    columns = list(row)
    varying = [columns.index(c) for c in ("id", "owner_id", "name", "vmid")]
    base = list(row.values())
    with psycopg.connect(url) as conn:
        copy_sql = sql.SQL("COPY servers ({}) FROM STDIN").format(
            sql.SQL(", ").join(map(sql.Identifier, columns))
        )
        with conn.cursor() as cur, cur.copy(copy_sql) as copy:
            for n in range(1, count + 1):
                values = base.copy()
                for index, value in zip(varying, (n, owner_of(n), f"s{n}", 99 + n), strict=True):
                    values[index] = value
                copy.write_row(values)
        conn.execute("SELECT setval('servers_id_seq', %s)", (count,))
