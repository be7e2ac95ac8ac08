"""Locks: one holder per name at a time, across threads (memory) and across database sessions
(PostgreSQL); a wait beyond the timeout is `Unavailable`; a block that fails still lets go."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import attrs
import psycopg
import pytest
from psycopg_pool import ConnectionPool

from adapters.memory.locks import MemoryLocks
from adapters.postgres.locks import NAMESPACE, PostgresLocks
from domain.model.errors import Unavailable
from ports.locks import Locks

from .postgres import PgDatabase

PATIENT = 30.0  # long enough never to run out in a test that expects the lock to come
IMPATIENT = 0.2  # a wait that is meant to fail


@attrs.define
class LocksRig:
    locks: Callable[[float], Locks]  # one more holder (a process) sharing the same lock space


def _memory() -> Iterator[LocksRig]:
    shared = MemoryLocks()
    yield LocksRig(shared.with_timeout)


def _postgres(request: pytest.FixtureRequest) -> Iterator[LocksRig]:
    database: PgDatabase = request.getfixturevalue("pg_database")
    yield LocksRig(lambda timeout: PostgresLocks(database.pool, timeout=timeout))


@pytest.fixture(params=["memory", "postgres"])
def rig(request: pytest.FixtureRequest) -> Iterator[LocksRig]:
    yield from (_memory() if request.param == "memory" else _postgres(request))


def in_thread(work: Callable[[], None]) -> tuple[threading.Thread, list[BaseException]]:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as ex:  # handed to the test
            errors.append(ex)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, errors


def test_a_second_holder_waits_until_the_first_lets_go(rig: LocksRig):
    first, second = rig.locks(PATIENT), rig.locks(PATIENT)
    entered, leave = threading.Event(), threading.Event()

    def take() -> None:
        with second.hold("firewall:1"):
            entered.set()
            leave.wait(PATIENT)

    with first.hold("firewall:1"):
        thread, errors = in_thread(take)
        assert not entered.wait(IMPATIENT)  # still waiting while the first holds
    assert entered.wait(PATIENT)
    leave.set()
    thread.join(PATIENT)
    assert errors == []


def test_a_wait_beyond_the_timeout_is_unavailable(rig: LocksRig):
    impatient = rig.locks(IMPATIENT)

    def take() -> None:
        with impatient.hold("firewall:1"):
            pass

    with rig.locks(PATIENT).hold("firewall:1"):
        thread, errors = in_thread(take)
        thread.join(PATIENT)
    assert len(errors) == 1 and isinstance(errors[0], Unavailable)
    with impatient.hold("firewall:1"):  # and the failed wait left nothing behind
        pass


def test_other_names_do_not_wait(rig: LocksRig):
    inside: list[str] = []

    def take() -> None:
        with rig.locks(IMPATIENT).hold("firewall:2"):
            inside.append("firewall:2")

    with rig.locks(PATIENT).hold("firewall:1"):
        thread, errors = in_thread(take)
        thread.join(PATIENT)
    assert errors == [] and inside == ["firewall:2"]


def test_a_block_that_raises_lets_go(rig: LocksRig):
    locks = rig.locks(PATIENT)
    with pytest.raises(RuntimeError), locks.hold("firewall:1"):
        raise RuntimeError("the firewall call failed")
    taken: list[bool] = []

    def take() -> None:
        with rig.locks(IMPATIENT).hold("firewall:1"):
            taken.append(True)

    thread, errors = in_thread(take)
    thread.join(PATIENT)
    assert errors == [] and taken == [True]


def test_many_threads_take_turns(rig: LocksRig):
    """Ten threads each read, pause and write one counter under the lock: no update is lost."""
    counter = {"value": 0, "inside": 0, "most": 0}
    guard = threading.Lock()

    def bump() -> None:
        for _ in range(5):
            with rig.locks(PATIENT).hold("firewall:1"):
                with guard:
                    counter["inside"] += 1
                    counter["most"] = max(counter["most"], counter["inside"])
                value = counter["value"]
                threading.Event().wait(0.001)  # let another thread run, if it could get in
                counter["value"] = value + 1
                with guard:
                    counter["inside"] -= 1

    threads = [in_thread(bump) for _ in range(10)]
    for thread, _ in threads:
        thread.join(PATIENT * 2)
    assert [e for _, errors in threads for e in errors] == []
    assert counter["value"] == 50 and counter["most"] == 1


# --- PostgreSQL: the lock lives in the database, seen from any other session --------------------


def test_postgres_holds_a_session_advisory_lock(pg_database: PgDatabase):
    locks = PostgresLocks(pg_database.pool, timeout=PATIENT)
    with psycopg.connect(pg_database.url, autocommit=True) as other:

        def try_lock() -> bool:
            row = other.execute(
                "SELECT pg_try_advisory_lock(%s, hashtext(%s))", (NAMESPACE, "firewall:7")
            ).fetchone()
            taken = bool(row and row[0])
            if taken:
                other.execute(
                    "SELECT pg_advisory_unlock(%s, hashtext(%s))", (NAMESPACE, "firewall:7")
                )
            return taken

        with locks.hold("firewall:7"):
            assert not try_lock()  # another session (another process) is kept out
        assert try_lock()


def test_postgres_timeout_must_be_positive(pg_database: PgDatabase):
    with pytest.raises(ValueError):
        PostgresLocks(pg_database.pool, timeout=0)


def test_postgres_a_lost_connection_is_unavailable_in_our_words(
    pg_database: PgDatabase, caplog: pytest.LogCaptureFixture
):
    pool = ConnectionPool(pg_database.url, min_size=1, max_size=1, open=True)
    try:
        with pool.connection() as conn:
            pid = conn.info.backend_pid
        with psycopg.connect(pg_database.url, autocommit=True) as other:
            other.execute("SELECT pg_terminate_backend(%s)", (pid,))  # the pooled one dies

        with pytest.raises(Unavailable) as refused, PostgresLocks(pool, timeout=PATIENT).hold("x"):
            pass
    finally:
        pool.close()

    # The database's words (its address, the termination) are in the log, not in the error.
    assert "terminat" not in refused.value.message.lower() + repr(refused.value.details)
    assert "127.0.0.1" not in refused.value.message
    assert "taking the lock x failed" in caplog.text
