"""PostgreSQL only: a server read back is the server written, in every shape a server takes, with
its moments in UTC whatever the session's time zone, and a row no model value names is refused
rather than guessed (adapters/postgres/server_rows.py builds servers by hand, without the strict
converter, so this is what holds it to the model)."""

from __future__ import annotations

import datetime as dt

import attrs
import psycopg
import pytest

from adapters.memory import InlineJobQueue
from adapters.postgres.server_rows import server_from
from adapters.postgres.uow import PostgresUnitOfWorkFactory
from domain.model.catalogue import GuestKind
from domain.model.metering import Meter, PendingRate
from domain.model.network import FirewallRule
from domain.model.promo import DiscountTerms
from domain.model.server import Placement, Server
from domain.model.server_status import ServerStatus

from . import builders as b
from .postgres import PgDatabase

T = b.T0
RULES = (
    FirewallRule("tcp", 22, 22, "10.0.0.0/8", "ssh from the office"),
    FirewallRule("icmp", None, None),
)


def _shapes() -> list[Server]:
    meter = Meter.start(b.rub(2), b.rub(1460), b.NO_DISCOUNT, T)
    discounted = Meter.start(
        b.rub(3), b.rub(2190), DiscountTerms(25, T + dt.timedelta(days=30), b.rub(1)), T
    )
    forever = Meter.start(b.rub(3), b.rub(2190), DiscountTerms(10, None), T)
    counted = attrs.evolve(
        meter.prepaid(3600, b.rub(2)),
        month_carried_micro=5,
        month_discounted_list_micro=7,
        month_discount_micro=1,
        pending=PendingRate(b.rub(4), b.rub(2920), dt.datetime(2026, 2, 1, tzinfo=dt.UTC)),
    )

    def placed(n: int) -> Placement:
        return Placement("pve-2", 4200 + n, f"10.20.0.{n}", f"bc:24:11:00:00:{n:02x}", 3001)

    shapes = [b.server(1, meter=meter)]
    shapes += [
        b.server(10 + n, status=status, meter=meter, placement=placed(n) if n % 2 else Placement())
        for n, status in enumerate(ServerStatus)
        if status is not ServerStatus.DELETED
    ]
    shapes += [
        b.server(2, meter=discounted, guest_kind=GuestKind.QEMU, tariff_id=3, promo_code="SPRING"),
        b.server(3, meter=forever, hold_key="order-3", active_action_id=99),
        b.server(4, meter=counted, saga_steps=("placed", "addressed", "vlan")),
        b.server(
            5,
            firewall=RULES,
            firewall_pending=RULES[:1],
            active_action_id=98,
            stopped_by_dunning=True,
        ),
        b.server(6, status=ServerStatus.FAILED, failure_reason="no capacity in msk"),
        b.server(7, status=ServerStatus.SUSPENDED, suspended_by_admin=True),
        b.server(8, status=ServerStatus.DELETED, deleted_at=T + dt.timedelta(hours=5)),
    ]
    return shapes


@pytest.fixture
def factory(pg: PgDatabase) -> PostgresUnitOfWorkFactory:
    return PostgresUnitOfWorkFactory(pg.pool, job_queue=InlineJobQueue(auto_run=False))


def test_every_shape_of_server_reads_back_as_written(factory):
    shapes = _shapes()
    with factory() as uow:
        for server in shapes:
            uow.servers.add(server)
        uow.commit()
    with factory() as uow:
        for server in shapes:
            assert uow.servers.get(server.id) == server
        mine = uow.servers.for_owner(1, include_deleted=True)
        assert mine == sorted(shapes, key=lambda s: s.id)


def test_moments_come_back_in_utc_whatever_the_sessions_time_zone(pg: PgDatabase, factory):
    server = next(s for s in _shapes() if s.meter.pending)  # every kind of moment column set
    with factory() as uow:
        uow.servers.add(server)
        uow.commit()
    with psycopg.connect(pg.url, autocommit=True) as conn:
        conn.execute("SET TIME ZONE 'Asia/Vladivostok'")
        row = (
            conn.cursor(row_factory=psycopg.rows.dict_row)
            .execute("SELECT * FROM servers WHERE id = %s", (server.id,))
            .fetchone()
        )
    assert row is not None and row["created_at"].utcoffset() == dt.timedelta(hours=10)
    read = server_from(row)
    assert read == server
    moments = [read.created_at, read.meter.billed_until, read.meter.month]
    assert read.meter.pending is not None
    moments.append(read.meter.pending.starts)
    assert all(m.tzinfo is dt.UTC for m in moments)
    assert read.created_at.isoformat().endswith("+00:00")


@pytest.mark.parametrize(
    ("column", "value"),
    [("status", "hibernating"), ("guest_kind", "vmware"), ("created_at", dt.datetime(2026, 1, 1))],
)
def test_a_value_the_model_does_not_know_is_refused(pg: PgDatabase, factory, column, value):
    with factory() as uow:
        uow.servers.add(b.server(1))
        uow.commit()
    with psycopg.connect(pg.url, autocommit=True) as conn:
        row = (
            conn.cursor(row_factory=psycopg.rows.dict_row)
            .execute("SELECT * FROM servers WHERE id = 1")
            .fetchone()
        )
    assert row is not None
    with pytest.raises((ValueError, TypeError)):
        server_from({**row, column: value})
