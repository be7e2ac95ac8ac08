"""A server's commands take plain values or value objects, and refuse at once what they can
never be, naming the field as the API spells it."""

from __future__ import annotations

import pytest

from domain.model.errors import ValidationError
from domain.model.server_commands import OnSnapshot, OpenConsole, ResizeServer, TakeSnapshot
from domain.model.values import Cores, DiskGiB, MemoryMiB, SnapshotName


def test_plain_values_become_value_objects() -> None:
    assert ResizeServer(7, cores=2, disk=40) == ResizeServer(7, cores=Cores(2), disk=DiskGiB(40))
    assert ResizeServer(7, memory=2048).memory == MemoryMiB(2048)
    assert TakeSnapshot(7, "daily").snapname == SnapshotName("daily")
    assert OnSnapshot(7, SnapshotName("daily")) == OnSnapshot(7, "daily")


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: ResizeServer(7), "cores"),  # nothing to change
        (lambda: ResizeServer(7, cores=0), "cores"),
        (lambda: ResizeServer(7, memory="2048"), "memory"),
        (lambda: ResizeServer(7, disk=True), "disk"),
        (lambda: TakeSnapshot(7, "1abc"), "snapname"),
        (lambda: TakeSnapshot(7, "ok", description="x" * 256), "description"),
        (lambda: TakeSnapshot(7, "ok", description=None), "description"),
        (lambda: OnSnapshot(7, "a b"), "snapname"),
        (lambda: OpenConsole(0), "vmid"),
        (lambda: OpenConsole(True), "vmid"),
    ],
)
def test_what_a_command_can_never_be_is_refused_naming_the_field(make, field) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as err:
        make()
    assert err.value.field == field
