"""`hostprovider migrate`: safe to run twice, and from two threads or processes at once."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator

import psycopg
import pytest

from adapters.postgres.migrate import Migration, MigrationError, bundled, migrate

from .postgres import ScratchDatabase, admin_connection


@pytest.fixture
def scratch() -> Iterator[ScratchDatabase]:
    admin = admin_connection()
    database = ScratchDatabase.create(admin)
    try:
        yield database
    finally:
        database.drop()
        admin.close()


def recorded(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return [n for (n,) in conn.execute("SELECT name FROM schema_migrations ORDER BY version")]


def test_a_second_run_applies_nothing(scratch):
    names = [m.name for m in bundled()]
    assert migrate(scratch.url) == names
    assert migrate(scratch.url) == []
    assert recorded(scratch.url) == names


def test_two_threads_at_once_apply_each_file_once(scratch):
    results: list[list[str]] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def run() -> None:
        start.wait()
        try:
            results.append(migrate(scratch.url))
        except BaseException as ex:  # noqa: BLE001 - reported below
            errors.append(ex)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(results, key=len) == [[], [m.name for m in bundled()]]
    assert recorded(scratch.url) == [m.name for m in bundled()]


def test_two_processes_at_once_apply_each_file_once(scratch):
    script = (
        "import sys\nfrom adapters.postgres.migrate import migrate\nprint(migrate(sys.argv[1]))"
    )
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", script, scratch.url], stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=60)[0].strip() for run in runs]
    assert [run.returncode for run in runs] == [0, 0]
    assert sorted(outputs) == sorted(["[]", repr([m.name for m in bundled()])])
    assert recorded(scratch.url) == [m.name for m in bundled()]


def test_an_applied_file_that_changed_is_refused(scratch):
    migrate(scratch.url)
    first = bundled()[0]
    edited = Migration(first.version, first.name, first.sql + "\n-- edited\n")
    with pytest.raises(MigrationError, match="changed after it was applied"):
        migrate(scratch.url, [edited])


def test_a_failing_file_leaves_nothing_behind_and_runs_again_later(scratch):
    migrate(scratch.url)
    broken = Migration(9001, "9001_broken.sql", "CREATE TABLE half_done (x int);\nSELECT 1 / 0;")
    with pytest.raises(psycopg.errors.DivisionByZero):
        migrate(scratch.url, [*bundled(), broken])
    with psycopg.connect(scratch.url) as conn:
        assert conn.execute("SELECT to_regclass('half_done')").fetchone() == (None,)
    fixed = Migration(9001, "9001_broken.sql", "CREATE TABLE half_done (x int);")
    assert migrate(scratch.url, [*bundled(), fixed]) == ["9001_broken.sql"]
