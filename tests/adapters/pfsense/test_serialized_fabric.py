"""One writer per firewall across processes: `SerializedFabric` holds `firewall:<location>` around
every write, so two fabrics (two schedulers, say) driving one firewall take turns."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from adapters.locking import SerializedFabric
from adapters.memory import FakeNetworkFabric
from adapters.memory.locks import MemoryLocks
from adapters.pfsense import PfSenseFabric
from adapters.postgres.locks import PostgresLocks
from domain.model.errors import Unavailable
from domain.model.network import DEFAULT_INBOUND
from ports.locks import Locks
from ports.network import NetworkFabric, StaticMapping
from tests.contract.pfsense_rig import ATTEMPTS, PfSenseRig, site_for
from tests.contract.postgres import session_database

from .conftest import LOC

WAIT = 60.0


class Overlaps:
    """Counts the fabric calls in progress at once, over every fabric it watches."""

    def __init__(self) -> None:
        self.inside = 0
        self.most = 0
        self._guard = threading.Lock()

    @contextlib.contextmanager
    def call(self) -> Iterator[None]:
        with self._guard:
            self.inside += 1
            self.most = max(self.most, self.inside)
        try:
            yield
        finally:
            with self._guard:
                self.inside -= 1


class Watched:
    """A fabric whose every call is counted by `overlaps` (it sits under the lock)."""

    def __init__(self, inner: NetworkFabric, overlaps: Overlaps) -> None:
        self._inner, self._overlaps = inner, overlaps

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self._inner, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            with self._overlaps.call():
                return method(*args, **kwargs)

        return counted


@pytest.fixture(scope="module")
def pg_pool() -> Iterator[Any]:
    for database in session_database():
        yield database.pool


@pytest.fixture(params=["memory", "postgres"])
def shared_locks(request: pytest.FixtureRequest) -> Callable[[], Locks]:
    """A new holder (a process of its own) in one lock space, each time it is called."""
    if request.param == "memory":
        shared = MemoryLocks(timeout=WAIT)
        return lambda: shared.with_timeout(WAIT)
    pool = request.getfixturevalue("pg_pool")
    return lambda: PostgresLocks(pool, timeout=WAIT)


def server(customer: int, n: int) -> tuple[int, StaticMapping]:
    server_id = customer * 10 + n
    mapping = StaticMapping(
        f"02:48:50:00:{customer:02x}:{n:02x}", f"10.20.{customer}.{10 + n}", f"srv-{server_id}",
        100 + customer,
    )  # fmt: skip
    return server_id, mapping


def provision(fabric: NetworkFabric, customer: int, errors: list[BaseException]) -> None:
    """The saga's network steps for four servers of one customer."""
    try:
        for n in range(1, 5):
            server_id, mapping = server(customer, n)
            fabric.ensure_vlan(LOC, customer, mapping.vlan)
            fabric.ensure_mapping(LOC, mapping)
            fabric.ensure_rules(LOC, server_id, mapping.ip_address, mapping.vlan, DEFAULT_INBOUND)
            fabric.apply(LOC)
    except BaseException as ex:  # reported by the test, not lost in the thread
        errors.append(ex)


def test_two_fabrics_on_one_firewall_never_write_at_once(
    rig: PfSenseRig, shared_locks: Callable[[], Locks]
):
    overlaps = Overlaps()
    site = site_for(rig.sims[LOC])
    # Two adapters with their own in-process lock and state, like two scheduler processes.
    fabrics = [
        SerializedFabric(
            Watched(
                PfSenseFabric({LOC: site}, sleep=rig.pauses.append, attempts=ATTEMPTS), overlaps
            ),
            shared_locks(),
        )
        for _ in range(2)
    ]
    errors: list[BaseException] = []
    threads = [
        threading.Thread(target=provision, args=(fabric, customer, errors))
        for customer, fabric in zip((1, 2), fabrics, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    assert errors == [] and not any(t.is_alive() for t in threads)

    assert overlaps.most == 1
    live = rig.live_state(LOC)
    assert live.vlans == {101: 1, 102: 2}
    assert len(live.mappings) == 8 and all(r == DEFAULT_INBOUND for r in live.rules.values())
    assert not rig.sims[LOC].has_unapplied_changes()


def test_a_write_waits_for_the_firewall_lock_and_a_read_does_not():
    shared = MemoryLocks(timeout=WAIT)
    fake = FakeNetworkFabric()
    fabric = SerializedFabric(fake, shared.with_timeout(0.1))
    with shared.hold("firewall:1"):  # another process is writing to location 1's firewall
        with pytest.raises(Unavailable):
            fabric.ensure_vlan(1, 10, 101)
        assert fake.calls["ensure_vlan"] == 0
        assert fabric.state(1).vlans == {}
        fabric.ensure_vlan(2, 10, 101)  # another location's firewall is free
    fabric.ensure_vlan(1, 10, 101)
    assert fabric.state(1).vlans == {101: 10} and fabric.state(2).vlans == {101: 10}


def test_the_lock_is_let_go_when_a_write_fails():
    shared = MemoryLocks(timeout=WAIT)
    fake = FakeNetworkFabric()
    fabric = SerializedFabric(fake, shared.with_timeout(0.1))
    fake.fail_next("apply")
    with pytest.raises(Exception, match="injected fault"):
        fabric.apply(1)
    fabric.apply(1)  # would time out had the failed call kept the lock
    assert fake.calls["apply"] == 2
