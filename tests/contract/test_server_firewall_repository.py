"""A server's firewall rules in the ServerRepository: kept whole and exactly, on every store."""

from __future__ import annotations

import psycopg
import pytest

from adapters.memory import InlineJobQueue
from adapters.postgres.uow import PostgresUnitOfWorkFactory
from domain.model.action import ActionCommand
from domain.model.errors import Conflict
from domain.model.network import FirewallRule

from . import builders as b
from .postgres import PgDatabase

OWN = (
    FirewallRule("tcp", 22, 22, "203.0.113.0/24", "ssh из офиса"),
    FirewallRule("udp", 60000, 61000, "0.0.0.0/0", "mosh"),
    FirewallRule("icmp", None, None, "198.51.100.7/32", ""),
)


def stored(uow_factory, server_id: int):
    with uow_factory() as uow:
        return uow.servers.get(server_id)


def test_a_server_without_rules_of_its_own_keeps_none(uow_factory):
    with uow_factory() as uow:
        uow.servers.add(b.server(1))
        uow.commit()

    found = stored(uow_factory, 1)
    assert (found.firewall, found.firewall_pending) == (None, None)


def test_rules_round_trip_in_order_and_exactly(uow_factory):
    with uow_factory() as uow:
        uow.servers.add(b.server(1, firewall=OWN))
        uow.commit()

    assert stored(uow_factory, 1).firewall == OWN
    assert stored(uow_factory, 1) == b.server(1, firewall=OWN)


def test_no_rules_at_all_is_not_the_same_as_none_set(uow_factory):
    with uow_factory() as uow:
        uow.servers.add(b.server(1, firewall=()))
        uow.servers.add(b.server(2))
        uow.commit()

    assert stored(uow_factory, 1).firewall == ()
    assert stored(uow_factory, 2).firewall is None


def test_a_change_is_pending_then_applied_then_gone(uow_factory):
    with uow_factory() as uow:
        uow.servers.add(b.server(1))
        uow.commit()
    with uow_factory() as uow:
        server = uow.servers.get_for_update(1)
        server.begin(ActionCommand.CHANGE_FIREWALL, 10, b.T0)
        server.request_firewall(OWN, b.T0)
        uow.servers.update(server)
        uow.commit()

    pending = stored(uow_factory, 1)
    assert (pending.firewall, pending.firewall_pending, pending.active_action_id) == (None, OWN, 10)

    with uow_factory() as uow:
        server = uow.servers.get_for_update(1)
        server.firewall_applied(OWN, b.T0)
        server.finish_action(b.T0)
        uow.servers.update(server)
        uow.commit()

    applied = stored(uow_factory, 1)
    assert (applied.firewall, applied.firewall_pending, applied.active_action_id) == (
        OWN,
        None,
        None,
    )


def test_a_rolled_back_change_keeps_the_old_rules(uow_factory):
    with uow_factory() as uow:
        uow.servers.add(b.server(1, firewall=OWN[:1]))
        uow.commit()
    with uow_factory() as uow:
        server = uow.servers.get_for_update(1)
        server.firewall_applied(OWN, b.T0)
        uow.servers.update(server)
        uow.rollback()

    assert stored(uow_factory, 1).firewall == OWN[:1]


# --- what PostgreSQL refuses by itself -----------------------------------------------------------


@pytest.fixture
def pg_uow_factory(pg: PgDatabase) -> PostgresUnitOfWorkFactory:
    return PostgresUnitOfWorkFactory(pg.pool, job_queue=InlineJobQueue(auto_run=False))


def test_pending_rules_without_a_running_action_are_refused(pg_uow_factory):
    with pg_uow_factory() as uow, pytest.raises(Conflict) as refused:
        uow.servers.add(b.server(1, firewall_pending=OWN))

    # The constraint stays on the chain for whoever debugs; the message is ours, not the database's.
    assert refused.value.__cause__.diag.constraint_name == "servers_firewall_pending_has_action"
    assert "servers_firewall" not in refused.value.message


@pytest.mark.parametrize("column", ["firewall", "firewall_pending"])
def test_a_rule_list_is_a_json_array(pg_uow_factory, pg: PgDatabase, column: str):
    with pg_uow_factory() as uow:
        uow.servers.add(b.server(1, active_action_id=3))
        uow.commit()

    with psycopg.connect(pg.url) as conn, pytest.raises(psycopg.errors.CheckViolation):
        conn.execute(f'UPDATE servers SET {column} = \'{{"protocol": "tcp"}}\' WHERE id = 1')
