"""What a customer asks of one of their servers, as commands of values that checked themselves.

The HTTP edge builds them with the API's converter (entrypoints/http/commands.py); tests build them
from plain values or value objects, as domain/model/commands.py's. The use cases in
domain/usecases/server_commands.py and snapshots.py take them whole and check only what needs the
server, the catalogue or the caller. What each command then needs the server to be in, and what its
action records, is the commands' table in domain/model/server.py.
"""

from __future__ import annotations

import attrs
from attrs.converters import optional

from domain.model.errors import ValidationError
from domain.model.values import (
    Cores,
    DiskGiB,
    MemoryMiB,
    SnapshotName,
    as_cores,
    as_disk,
    as_memory,
)

SNAPSHOT_DESCRIPTION_MAX = 255


def as_snapshot_name(value: str | SnapshotName) -> SnapshotName:
    # As values.py's as_cores and its siblings: a plain value or a value object.
    return value if isinstance(value, SnapshotName) else SnapshotName(value)


@attrs.frozen
class OnServer:
    """A command that names nothing but its server: start, stop, restart, reset the password,
    delete."""

    server_id: int


@attrs.frozen
class RebuildServer:
    """Wipe and reinstall from an image of the same guest kind, optionally with SSH keys."""

    server_id: int
    os_id: int
    ssh_keys: tuple[int, ...] = attrs.field(default=(), converter=tuple)


@attrs.frozen
class ResizeServer:
    """Any of cores, memory and disk; what is not given stays as it is."""

    server_id: int
    cores: Cores | None = attrs.field(default=None, converter=optional(as_cores))
    memory: MemoryMiB | None = attrs.field(default=None, converter=optional(as_memory))
    disk: DiskGiB | None = attrs.field(default=None, converter=optional(as_disk))

    def __attrs_post_init__(self) -> None:
        if self.cores is None and self.memory is None and self.disk is None:
            raise ValidationError("cores", "give at least one of cores, memory or disk")


def _description(_: TakeSnapshot, __: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or len(value) > SNAPSHOT_DESCRIPTION_MAX:
        raise ValidationError(
            "description", f"must be text of at most {SNAPSHOT_DESCRIPTION_MAX} characters"
        )


@attrs.frozen
class TakeSnapshot:
    server_id: int
    snapname: SnapshotName = attrs.field(converter=as_snapshot_name)
    description: str = attrs.field(default="", validator=_description)


@attrs.frozen
class OnSnapshot:
    """A rollback to, or the deletion of, one of the server's snapshots."""

    server_id: int
    snapname: SnapshotName = attrs.field(converter=as_snapshot_name)


def _vmid(_: OpenConsole, __: attrs.Attribute[int | None], value: int | None) -> None:
    if value is not None and (type(value) is not int or value <= 0):
        raise ValidationError("vmid", "must be a positive integer")


def _server_id(_: OpenConsole, __: attrs.Attribute[int | None], value: int | None) -> None:
    if value is not None and (type(value) is not int or value <= 0):
        raise ValidationError("serverId", "must be a positive integer")


@attrs.frozen
class OpenConsole:
    """A console link for the caller's own server, named by its id or, as the seed's API does,
    by its guest's vmid: one of the two."""

    vmid: int | None = attrs.field(default=None, validator=_vmid)
    server_id: int | None = attrs.field(default=None, validator=_server_id, kw_only=True)

    def __attrs_post_init__(self) -> None:
        if (self.vmid is None) == (self.server_id is None):
            raise ValidationError("serverId", "give either serverId or vmid")
