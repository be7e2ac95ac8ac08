"""What a customer asks of one of their servers, as commands of values that checked themselves.

The HTTP edge builds them (entrypoints/http/resources/servers.py, snapshots.py); the use cases in
domain/usecases/server_commands.py and snapshots.py take them whole and check only what needs the
server, the catalogue or the caller. What each command then needs the server to be in, and what its
action records, is the commands' table in domain/model/server.py.
"""

from __future__ import annotations

import attrs

from domain.model.errors import ValidationError
from domain.model.values import Cores, DiskGiB, MemoryMiB, SnapshotName

SNAPSHOT_DESCRIPTION_MAX = 255


@attrs.frozen
class OnServer:
    """A command that names nothing but its server: start, stop, restart, reset the password,
    delete."""

    server_id: int


@attrs.frozen
class ResizeServer:
    """Any of cores, memory and disk; what is not given stays as it is."""

    server_id: int
    cores: Cores | None = None
    memory: MemoryMiB | None = None
    disk: DiskGiB | None = None

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
    snapname: SnapshotName
    description: str = attrs.field(default="", validator=_description)


@attrs.frozen
class OnSnapshot:
    """A rollback to, or the deletion of, one of the server's snapshots."""

    server_id: int
    snapname: SnapshotName


def _vmid(_: OpenConsole, __: attrs.Attribute[int], value: int) -> None:
    if type(value) is not int or value <= 0:
        raise ValidationError("vmid", "must be a positive integer")


@attrs.frozen
class OpenConsole:
    """A console of the caller's own server, named by its guest's vmid as the seed's API does."""

    vmid: int = attrs.field(validator=_vmid)
