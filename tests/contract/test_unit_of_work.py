"""UnitOfWork: atomic commit, rollback of writes and of deferred jobs, ids never reused."""

from __future__ import annotations

import threading

import pytest

from domain.model.ledger import LedgerAccount
from domain.model.ledger_movements import top_up

from . import builders as b
from .conftest import StoreRig


def test_committed_writes_are_visible_to_a_new_unit_of_work(uow_factory):
    with uow_factory() as uow:
        uow.accounts.add(b.account(uow.accounts.next_id(), "ann@example.com"))
        uow.commit()
    with uow_factory() as uow:
        found = uow.accounts.by_email("ann@example.com")
    assert found is not None and found.email == "ann@example.com"


def test_leaving_without_commit_discards_every_write(uow_factory):
    with uow_factory() as uow:
        account_id = uow.accounts.next_id()
        uow.accounts.add(b.account(account_id))
        uow.servers.add(b.server(uow.servers.next_id(), owner_id=account_id))
        uow.ledger.post(top_up(account_id, b.rub(10), key="t1", now=b.T0))
    with uow_factory() as uow:
        assert uow.accounts.get(account_id) is None
        assert uow.servers.for_owner(account_id) == []
        assert uow.ledger.get("t1") is None
        assert uow.ledger.balance(LedgerAccount.wallet(account_id, b.RUB)) == 0


def test_an_exception_rolls_back_and_propagates(uow_factory):
    with pytest.raises(RuntimeError, match="boom"), uow_factory() as uow:
        uow.accounts.add(b.account(uow.accounts.next_id(), "boom@example.com"))
        raise RuntimeError("boom")
    with uow_factory() as uow:
        assert uow.accounts.by_email("boom@example.com") is None


def test_explicit_rollback_discards_writes(uow_factory):
    with uow_factory() as uow:
        uow.accounts.add(b.account(uow.accounts.next_id(), "gone@example.com"))
        uow.rollback()
        assert uow.accounts.by_email("gone@example.com") is None


def test_updates_of_a_committed_row_roll_back_to_the_committed_value(uow_factory):
    with uow_factory() as uow:
        uow.accounts.add(b.account(1, "first@example.com"))
        uow.commit()
    with uow_factory() as uow:
        changed = uow.accounts.get(1)
        changed.email = "second@example.com"
        uow.accounts.update(changed)
    with uow_factory() as uow:
        assert uow.accounts.get(1).email == "first@example.com"


def test_ids_are_never_reused_even_after_rollback(uow_factory):
    with uow_factory() as uow:
        rolled_back = {uow.servers.next_id(), uow.servers.next_id()}
    with uow_factory() as uow:
        later = uow.servers.next_id()
        uow.commit()
    assert later not in rolled_back
    assert later > max(rolled_back)


def test_jobs_reach_the_queue_only_after_commit(store_rig: StoreRig):
    with store_rig.uow_factory() as uow:
        uow.jobs.defer("provision_server", lock="server:1", server_id=1)
        assert store_rig.handed_over() == []
        uow.commit()
    assert store_rig.handed_over() == [("provision_server", {"server_id": 1})]


def test_a_rolled_back_unit_of_work_drops_its_jobs(store_rig: StoreRig):
    with store_rig.uow_factory() as uow:
        uow.jobs.defer("provision_server", server_id=1)
    with pytest.raises(ValueError), store_rig.uow_factory() as uow:
        uow.jobs.defer("provision_server", server_id=2)
        raise ValueError
    assert store_rig.handed_over() == []


def test_jobs_deferred_after_a_commit_need_another_commit(store_rig: StoreRig):
    with store_rig.uow_factory() as uow:
        uow.jobs.defer("first")
        uow.commit()
        uow.jobs.defer("second")
    assert [task for task, _ in store_rig.handed_over()] == ["first"]


def test_concurrent_units_of_work_lose_no_writes(uow_factory):
    def add_accounts(worker: int) -> None:
        for n in range(10):
            with uow_factory() as uow:
                uow.accounts.add(b.account(uow.accounts.next_id(), f"w{worker}-{n}@example.com"))
                uow.commit()

    threads = [threading.Thread(target=add_accounts, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with uow_factory() as uow:
        ids = uow.accounts.all_ids()
    assert len(ids) == 80 == len(set(ids))


def test_get_for_update_serializes_read_modify_write(uow_factory):
    with uow_factory() as uow:
        uow.servers.add(b.server(1, name="0"))
        uow.commit()

    def bump() -> None:
        for _ in range(25):
            with uow_factory() as uow:
                srv = uow.servers.get_for_update(1)
                srv.name = str(int(srv.name) + 1)
                uow.servers.update(srv)
                uow.commit()

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with uow_factory() as uow:
        assert uow.servers.get(1).name == "100"


def test_a_unit_of_work_lends_one_repository_of_each_kind_and_another_unit_its_own(uow_factory):
    """Repositories are made on first use (adapters/first_use.py): once per unit of work."""
    first, second = uow_factory(), uow_factory()
    assert first.servers is first.servers and first.tokens is first.tokens
    assert first.servers is not second.servers and first.ledger is not second.ledger
    with first:
        first.accounts.add(b.account(1))
        first.commit()
    with second:
        assert second.accounts.get(1) == b.account(1)
