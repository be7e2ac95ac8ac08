"""ServerRepository and ActionRepository."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest
from psycopg.types.json import Jsonb

from adapters.memory import InlineJobQueue
from adapters.postgres.uow import PostgresUnitOfWorkFactory
from domain.model.action import (
    ActionCommand,
    ActionStatus,
    FirewallParams,
    NewSnapshotParams,
    NoParams,
    ResizeParams,
    SnapshotParams,
)
from domain.model.errors import AlreadyExists, NotFound
from domain.model.metering import Meter
from domain.model.server import Placement, ServerStatus
from ports.paging import Page

from . import builders as b

S = ServerStatus


def test_add_get_update_round_trip(uow_factory):
    with uow_factory() as uow:
        uow.servers.add(b.server(1, placement=Placement(node="pve1", vmid=101)))
        uow.commit()
    with uow_factory() as uow:
        srv = uow.servers.get(1)
        assert srv == b.server(1, placement=Placement(node="pve1", vmid=101))
        srv.powered(False, b.T0)
        uow.servers.update(srv)
        uow.commit()
    with uow_factory() as uow:
        assert uow.servers.get(1).status is S.STOPPED
        assert uow.servers.get(2) is None
        assert uow.servers.get_for_update(2) is None


def test_a_returned_server_is_detached_until_update(uow_factory):
    with uow_factory() as uow:
        uow.servers.add(b.server(1))
        uow.commit()
    with uow_factory() as uow:
        srv = uow.servers.get_for_update(1)
        srv.name = "renamed"
        assert uow.servers.get(1).name == "srv-1"


def test_duplicate_id_and_unknown_update(uow_factory):
    with uow_factory() as uow:
        uow.servers.add(b.server(1))
        with pytest.raises(AlreadyExists):
            uow.servers.add(b.server(1))
        with pytest.raises(NotFound):
            uow.servers.update(b.server(2))


def test_for_owner_hides_deleted_unless_asked(uow_factory):
    with uow_factory() as uow:
        uow.servers.add(b.server(1, owner_id=5))
        uow.servers.add(b.server(2, owner_id=5, status=S.DELETED))
        uow.servers.add(b.server(3, owner_id=6))
        uow.servers.add(b.server(4, owner_id=5, status=S.FAILED))
        uow.commit()
    with uow_factory() as uow:
        assert [s.id for s in uow.servers.for_owner(5)] == [1, 4]
        assert [s.id for s in uow.servers.for_owner(5, include_deleted=True)] == [1, 2, 4]
        assert uow.servers.for_owner(7) == []


def test_billable_before_oldest_watermark_first_and_limited(uow_factory):
    t = b.T0
    with uow_factory() as uow:
        uow.servers.add(b.server(1, billed_until=t + dt.timedelta(hours=2)))
        uow.servers.add(b.server(2, billed_until=t))
        uow.servers.add(b.server(3, billed_until=t + dt.timedelta(hours=1), status=S.STOPPED))
        uow.servers.add(b.server(4, billed_until=t, status=S.PENDING))  # not billable
        uow.servers.add(b.server(5, billed_until=t, status=S.DELETED))  # not billable
        uow.servers.add(b.server(6, billed_until=t + dt.timedelta(hours=5)))  # not behind
        uow.servers.add(b.server(7, billed_until=t + dt.timedelta(hours=1), status=S.SUSPENDED))
        held = b.server(8, billed_until=t, status=S.SUSPENDED, suspended_by_admin=True)
        uow.servers.add(held)  # an admin's suspension: not billable
        uow.commit()
    moment = t + dt.timedelta(hours=3)
    with uow_factory() as uow:
        assert [s.id for s in uow.servers.billable_before(moment, 10)] == [2, 3, 7, 1]
        assert [s.id for s in uow.servers.billable_before(moment, 2)] == [2, 3]
        assert uow.servers.billable_before(t, 10) == []
        assert uow.servers.get(8).suspended_by_admin is True


def test_hourly_burn_sums_the_owners_billable_servers_and_no_others(uow_factory):
    def billed(id: int, owner_id: int, hourly: int, **kw) -> None:
        meter = Meter.start(b.rub(hourly), b.rub(hourly * 730), b.NO_DISCOUNT, b.T0)
        uow.servers.add(b.server(id, owner_id, meter=meter, **kw))

    with uow_factory() as uow:
        billed(1, 5, 1)
        billed(2, 5, 2, status=S.STOPPED)  # stopped, still billed: its resources are kept
        billed(3, 5, 4, status=S.SUSPENDED)
        billed(4, 5, 8, status=S.PENDING)  # paid up front by its hold, not yet billed
        billed(5, 5, 16, status=S.DELETED)
        billed(6, 5, 32, status=S.SUSPENDED, suspended_by_admin=True)  # the provider's call
        billed(7, 6, 64)  # someone else's
        uow.commit()
    with uow_factory() as uow:
        billable = [s for s in uow.servers.for_owner(5, include_deleted=True) if s.billable]
        assert uow.servers.hourly_burn(5) == sum(s.meter.hourly.micro for s in billable)
        assert uow.servers.hourly_burn(5) == 7_000_000
        assert uow.servers.hourly_burn(6) == 64_000_000
        assert uow.servers.hourly_burn(7) == 0


def test_list_pages_and_total(uow_factory):
    with uow_factory() as uow:
        for i in range(1, 6):
            uow.servers.add(b.server(i))
        uow.commit()
    with uow_factory() as uow:
        page, total = uow.servers.list(Page(2, 2))
    assert total == 5 and [s.id for s in page] == [3, 4]


def test_by_vmid_prefers_the_live_server(uow_factory):
    with uow_factory() as uow:
        uow.servers.add(b.server(1, status=S.DELETED, placement=Placement(vmid=100)))
        uow.servers.add(b.server(2, placement=Placement(vmid=100)))
        uow.servers.add(b.server(3, placement=Placement(vmid=101)))
        uow.commit()
    with uow_factory() as uow:
        assert uow.servers.by_vmid(100).id == 2
        assert uow.servers.by_vmid(101).id == 3
        assert uow.servers.by_vmid(102) is None


def test_in_progress_is_what_a_crashed_worker_may_have_left(uow_factory):
    with uow_factory() as uow:
        for i, status in enumerate(
            [S.PENDING, S.PROVISIONING, S.RUNNING, S.DELETING, S.FAILED, S.DELETED], 1
        ):
            uow.servers.add(b.server(i, status=status))
        uow.commit()
    with uow_factory() as uow:
        assert [s.id for s in uow.servers.in_progress()] == [1, 2, 4]


def test_running_actions_are_counted_by_command(uow_factory):
    with uow_factory() as uow:
        assert uow.actions.running_by_command() == {}
        start = b.action(uow.actions.next_id(), server_id=1)
        stop = b.action(uow.actions.next_id(), server_id=1, command=ActionCommand.STOP)
        done = b.action(uow.actions.next_id(), server_id=2)
        another_start = b.action(uow.actions.next_id(), server_id=3)
        for a in (start, stop, done, another_start):
            uow.actions.add(a)
        uow.actions.update(done.succeeded(b.T0))
        uow.commit()
    with uow_factory() as uow:
        assert uow.actions.running_by_command() == {"start_server": 2, "stop_server": 1}


def test_actions_round_trip_and_for_server_in_start_order(uow_factory):
    with uow_factory() as uow:
        first = b.action(uow.actions.next_id(), server_id=1)
        second = b.action(uow.actions.next_id(), server_id=1)
        other = b.action(uow.actions.next_id(), server_id=2)
        for a in (first, second, other):
            uow.actions.add(a)
        uow.actions.update(first.succeeded(b.T0))
        uow.commit()
    with uow_factory() as uow:
        assert [a.id for a in uow.actions.for_server(1)] == [first.id, second.id]
        assert uow.actions.get(first.id).status is ActionStatus.SUCCESS
        assert uow.actions.get(999) is None
        with pytest.raises(NotFound):
            uow.actions.update(b.action(999, server_id=1))


TYPED_PARAMS = [
    (ActionCommand.START, NoParams()),
    (ActionCommand.RESIZE, ResizeParams(cores=2, memory_mib=2048, disk_gib=40)),
    (ActionCommand.CREATE_SNAPSHOT, NewSnapshotParams("before-upgrade", "clean install")),
    (ActionCommand.ROLLBACK, SnapshotParams("before-upgrade")),
    (ActionCommand.DELETE_SNAPSHOT, SnapshotParams("old")),
    (ActionCommand.CHANGE_FIREWALL, FirewallParams(rules=3)),
]


@pytest.mark.parametrize(("command", "params"), TYPED_PARAMS)
def test_an_actions_parameters_come_back_typed(uow_factory, command, params):
    with uow_factory() as uow:
        action = b.action(uow.actions.next_id(), server_id=1, command=command, params=params)
        uow.actions.add(action)
        uow.commit()
    with uow_factory() as uow:
        assert uow.actions.get(action.id).params == params
        assert uow.actions.for_server(1) == [action]


@pytest.mark.parametrize(
    ("command", "stored", "params"),
    [
        (ActionCommand.START, [], NoParams()),
        (
            ActionCommand.RESIZE,
            [["cores", "2"], ["memory", "2048"], ["disk", "40"]],
            ResizeParams(2, 2048, 40),
        ),
        (
            ActionCommand.CREATE_SNAPSHOT,
            [["snapname", "s1"], ["description", "x"]],
            NewSnapshotParams("s1", "x"),
        ),
        (ActionCommand.ROLLBACK, [["snapname", "s1"]], SnapshotParams("s1")),
        (ActionCommand.CHANGE_FIREWALL, [["rules", "3"]], FirewallParams(3)),
    ],
)
def test_the_rows_written_before_typed_parameters_read_back_typed(pg, command, stored, params):
    """The stored format did not change: [name, text] pairs, as every existing row has them."""
    factory = PostgresUnitOfWorkFactory(pg.pool, job_queue=InlineJobQueue(auto_run=False))
    with psycopg.connect(pg.url) as conn:
        conn.execute(
            "INSERT INTO actions (id, server_id, owner_id, command, status, started_at, progress,"
            " params) VALUES (1, 1, 1, %s, 'running', %s, 0, %s)",
            (command.value, b.T0, Jsonb(stored)),
        )
    with factory() as uow:
        assert uow.actions.get(1).params == params
        uow.actions.update(uow.actions.get(1).succeeded(b.T0))
        uow.commit()
    with psycopg.connect(pg.url) as conn:
        [(written,)] = conn.execute("SELECT params FROM actions WHERE id = 1").fetchall()
    assert written == stored
