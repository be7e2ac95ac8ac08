"""The inline job queue and its hand-over from units of work."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from adapters.memory import InlineJobQueue, InMemoryStore

from . import builders as b


class Recorder:
    def __init__(self) -> None:
        self.ran: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, task: str, args: dict[str, Any]) -> None:
        if task == "explode":
            raise RuntimeError("kaboom")
        self.ran.append((task, args))


def test_auto_run_runs_a_job_at_once():
    rec = Recorder()
    queue = InlineJobQueue(rec)
    queue.defer("send_mail", notice_id=1)
    assert rec.ran == [("send_mail", {"notice_id": 1})]
    assert [j.task for j in queue.done] == ["send_mail"] and queue.pending == []


def test_without_auto_run_jobs_wait_for_run_pending():
    rec = Recorder()
    queue = InlineJobQueue(rec, auto_run=False)
    queue.defer("a")
    queue.defer("b", lock="server:1", x=1)
    assert rec.ran == [] and [(j.task, j.lock) for j in queue.pending] == [
        ("a", None),
        ("b", "server:1"),
    ]
    assert queue.run_pending() == 2
    assert rec.ran == [("a", {}), ("b", {"x": 1})]
    assert queue.run_pending() == 0


def test_a_queue_bound_later_keeps_jobs_until_bound():
    queue = InlineJobQueue()
    queue.defer("early")
    with pytest.raises(RuntimeError):
        queue.run_pending()
    rec = Recorder()
    queue.bind(rec)
    assert queue.run_pending() == 1 and rec.ran == [("early", {})]


def test_a_failing_job_is_recorded_and_the_others_run():
    rec = Recorder()
    queue = InlineJobQueue(rec, auto_run=False)
    queue.defer("explode", n=1)
    queue.defer("after")
    assert queue.run_pending() == 2
    (failed,) = queue.failed
    assert (failed.task, failed.args, str(failed.exception)) == ("explode", {"n": 1}, "kaboom")
    task, args, exception = failed
    assert (task, args, type(exception)) == ("explode", {"n": 1}, RuntimeError)
    assert rec.ran == [("after", {})]


def test_a_job_deferred_by_a_job_runs_after_it_not_inside_it():
    order: list[str] = []
    queue = InlineJobQueue()

    def dispatch(task: str, args: dict[str, Any]) -> None:
        order.append(f"start {task}")
        if task == "parent":
            queue.defer("child")
        order.append(f"end {task}")

    queue.bind(dispatch)
    queue.defer("parent")
    assert order == ["start parent", "end parent", "start child", "end child"]


def test_jobs_from_a_unit_of_work_run_after_commit_outside_its_transaction():
    seen: list[str | None] = []
    queue = InlineJobQueue()
    store = InMemoryStore(job_queue=queue)

    def dispatch(task: str, args: dict[str, Any]) -> None:
        with store.uow() as uow:  # would fail if the caller's unit of work were still open
            acc = uow.accounts.get(args["account_id"])
            seen.append(acc.email if acc else None)

    queue.bind(dispatch)
    with store.uow() as uow:
        uow.accounts.add(b.account(1, "ann@example.com"))
        uow.jobs.defer("welcome", account_id=1)
        uow.commit()
        assert seen == []
    assert seen == ["ann@example.com"]
    with store.uow() as uow:
        uow.jobs.defer("welcome", account_id=1)  # rolled back: never runs
    assert seen == ["ann@example.com"] and queue.pending == []


def test_a_failing_job_does_not_reach_whoever_committed():
    queue = InlineJobQueue(Recorder())
    store = InMemoryStore(job_queue=queue)
    with store.uow() as uow:
        uow.jobs.defer("explode")
        uow.commit()
    assert [f.task for f in queue.failed] == ["explode"]


def test_jobs_with_the_same_lock_never_overlap():
    running = 0
    overlap = False
    guard = threading.Lock()

    def dispatch(task: str, args: dict[str, Any]) -> None:
        nonlocal running, overlap
        with guard:
            running += 1
            overlap = overlap or running > 1
        time.sleep(0.002)
        with guard:
            running -= 1

    queue = InlineJobQueue(dispatch)
    threads = [
        threading.Thread(
            target=lambda: [queue.defer("provision", lock="server:1") for _ in range(5)]
        )
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not overlap and len(queue.done) == 20
