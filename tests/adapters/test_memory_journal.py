"""The memory unit of work's journal: whatever a unit of work does to a table, rollback leaves it
as it was and commit keeps it, and the cost follows the changes, not the table's size."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from adapters.memory.journal import DictChanges, ListChanges
from adapters.memory.store import InMemoryStore

keys = st.integers(0, 8)
dict_ops = st.lists(
    st.one_of(
        st.tuples(st.just("set"), keys, st.integers()),
        st.tuples(st.just("del"), keys, st.none()),
        st.tuples(st.just("pop"), keys, st.none()),
        st.tuples(st.just("update"), keys, st.integers()),
        st.tuples(st.just("setdefault"), keys, st.integers()),
    ),
    max_size=30,
)


def apply_to_dict(table: Any, op: str, key: int, value: Any) -> None:
    if op == "set":
        table[key] = value
    elif op == "del" and key in table:
        del table[key]
    elif op == "pop":
        table.pop(key, None)
    elif op == "update":
        table.update({key: value, key + 1: value})
    elif op == "setdefault":
        table.setdefault(key, value)


@given(st.dictionaries(keys, st.integers()), dict_ops)
def test_a_dict_rolled_back_is_what_it_was_and_the_view_acts_as_the_dict(start, ops):
    table, plain = dict(start), dict(start)
    changes = DictChanges(table)
    view = changes.view()
    for op, key, value in ops:
        apply_to_dict(view, op, key, value)
        apply_to_dict(plain, op, key, value)
    assert table == plain and dict(view.items()) == plain and len(view) == len(plain)
    changes.undo()
    assert table == start


list_ops = st.lists(
    st.one_of(
        st.tuples(st.just("append"), st.integers()),
        st.tuples(st.just("del"), st.integers(0, 20)),
        st.tuples(st.just("set"), st.integers(0, 20)),
    ),
    max_size=30,
)


@given(st.lists(st.integers(), max_size=10), list_ops)
def test_a_list_rolled_back_is_what_it_was(start, ops):
    table, plain = list(start), list(start)
    changes = ListChanges(table)
    view = changes.view()
    for op, value in ops:
        for target in (view, plain):
            if op == "append":
                target.append(value)
            elif plain and op == "del":
                del target[value % len(plain)]
            elif plain and op == "set":
                target[value % len(plain)] = -value
    assert table == plain and list(view) == plain
    changes.undo()
    assert table == start


def test_a_unit_of_work_rolls_back_its_writes_and_keeps_what_it_committed():
    store = InMemoryStore()
    with store.uow() as uow:
        uow.write("counters")[1] = "kept"
        uow.write("audit").append("kept")
        uow.commit()
        uow.write("counters")[2] = "undone"
        uow.write("counters")[1] = "undone"
        uow.write("audit").append("undone")
    assert store.tables["counters"] == {1: "kept"}
    assert store.tables["audit"] == ["kept"]


def test_a_write_to_a_large_table_notes_only_what_it_changes():
    store = InMemoryStore()
    store.tables["counters"].update({n: n for n in range(100_000)})
    with store.uow() as uow:
        uow.write("counters")[7] = "changed"
        [changes] = uow._saved.values()
        assert changes.before == {7: 7}  # one entry noted, not a copy of 100,000
    assert store.tables["counters"][7] == 7
